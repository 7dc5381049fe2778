import type { ScheduleInput } from '../shared/schedule/schema';

// Declared schedules. Both deployments read this list; the Node deployment also loads
// every `schedules/*.yaml` file (same fields, one schedule or a list per file). Every
// schedule is validated at start-up: a broken one stops the service with
// `schedule "<name>": <field>: <problem>`.
//
// Fields:
//   name        letters, digits, . _ - (used in idempotency keys)
//   enabled     default true
//   cron        5 fields (min hour dom month dow; lists, ranges, steps, JAN/MON names)
//               or @hourly / @daily / @weekly / @monthly / @yearly; day-of-month and
//               day-of-week are OR-ed when both are restricted (Vixie cron)
//   timezone    IANA zone, default UTC; DST: a fixed time skipped in spring runs when the
//               gap ends, a repeated time in autumn runs once
//   target      { cloud: <clouds.yaml entry>, servers?: [names], selector?: {metadata} }
//   retention   { keep?: N, maxAgeDays?: D } applied after each successful snapshot
//   stop        stop the server before the snapshot (and start it again), default false
//   namePattern image name, default from the configuration ({server}-snap-{YYYYMMDD-HHmmss})
//   notify      { on: [success|failure], to: [notification names from the configuration] }
export const schedules: ScheduleInput[] = [
  {
    // Example, disabled: to use it, set `cloud` to a clouds.yaml entry and `enabled: true`.
    // Even then it is opt-in per VM: only servers whose metadata carries
    // `snapflow:schedule=nightly` (`openstack server set --property snapflow:schedule=nightly web`)
    // are snapshotted. UTC because Cloudflare Cron Triggers (wrangler.toml) run in UTC.
    name: 'nightly',
    description: 'nightly rollback snapshots of servers tagged snapflow:schedule=nightly',
    enabled: false,
    cron: '0 2 * * *',
    timezone: 'UTC',
    target: { cloud: 'default', selector: { 'snapflow:schedule': 'nightly' } },
    retention: { keep: 7, maxAgeDays: 30 },
    stop: false,
  },
];
