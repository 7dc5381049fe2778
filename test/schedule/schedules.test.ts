import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { schedules as declared } from '../../schedules/schedules';
import { ScheduleConfigError, validateSchedules } from '../../shared/schedule/load';
import { loadSchedulesNode, readScheduleFiles } from '../../shared/schedule/load-node';
import { dueSlots, missedSlot, nextRun, slotKey } from '../../shared/schedule/slots';

const valid = {
  name: 'nightly',
  cron: '30 2 * * *',
  timezone: 'Europe/Zurich',
  target: { cloud: 'prod', servers: ['web-1', 'web-2'] },
  retention: { keep: 7 },
};

function problemsOf(inputs: unknown[], notificationNames?: string[]): string[] {
  try {
    validateSchedules(
      inputs.map((input) => ({ input })),
      notificationNames ? { notificationNames } : {},
    );
  } catch (err) {
    expect(err).toBeInstanceOf(ScheduleConfigError);
    return (err as ScheduleConfigError).problems;
  }
  throw new Error('expected validation to fail');
}

describe('validateSchedules', () => {
  it('applies defaults', () => {
    const [s] = validateSchedules([{ input: { ...valid, timezone: undefined } }]);
    expect(s).toMatchObject({ name: 'nightly', enabled: true, timezone: 'UTC', stop: false });
    expect(s!.namePattern).toBeUndefined();
  });

  it('accepts a selector-only target and aliases', () => {
    const [s] = validateSchedules([{ input: { name: 'tagged', cron: '@daily', target: { cloud: 'prod', selector: { 'snapflow:schedule': 'nightly' } } } }]);
    expect(s!.target.selector).toEqual({ 'snapflow:schedule': 'nightly' });
  });

  it.each([
    [{ cron: '61 2 * * *' }, 'schedule "nightly": cron: minute: 61 out of range 0-59'],
    [{ cron: '0 2 * *' }, 'schedule "nightly": cron: expected 5 fields'],
    [{ timezone: 'Europe/Zurichh' }, 'schedule "nightly": timezone: unknown IANA time zone'],
    [{ target: { cloud: 'prod' } }, 'schedule "nightly": target: needs servers and/or a selector'],
    [{ target: { cloud: '', servers: ['a'] } }, 'schedule "nightly": target.cloud:'],
    [{ target: { cloud: 'p', servers: ['a', ''] } }, 'schedule "nightly": target.servers.1:'],
    [{ retention: {} }, 'schedule "nightly": retention: needs keep and/or maxAgeDays'],
    [{ retention: { keep: 0 } }, 'schedule "nightly": retention.keep:'],
    [{ retension: { keep: 3 } }, 'schedule "nightly": Unrecognized key: "retension"'],
    [{ namePattern: '{server}-snap' }, 'schedule "nightly": namePattern: needs a date placeholder'],
    [{ namePattern: '{host}-{YYYYMMDD}' }, 'schedule "nightly": namePattern: unknown placeholder {host}'],
    [{ stop: 'yes' }, 'schedule "nightly": stop:'],
    [{ notify: { on: ['always'], to: ['ops'] } }, 'schedule "nightly": notify.on.0:'],
  ])('names the schedule and field: %j', (patch, message) => {
    const problems = problemsOf([{ ...valid, ...patch }]);
    expect(
      problems.some((p) => p.startsWith(message)),
      problems.join('\n'),
    ).toBe(true);
  });

  it('labels a schedule without a usable name by position', () => {
    const problems = problemsOf([valid, { ...valid, name: 'bad name' }, { cron: '@daily' }]);
    expect(problems).toContain('schedule "bad name": name: must be 1-63 letters, digits, ".", "_" or "-", starting with a letter or digit');
    expect(problems.some((p) => p.startsWith('schedule #3: name:'))).toBe(true);
    expect(problems.some((p) => p.startsWith('schedule #3: target:'))).toBe(true);
  });

  it('rejects duplicate names and unknown notifications', () => {
    expect(problemsOf([valid, valid])).toEqual(['schedule "nightly": name: duplicate schedule name (also declared in schedules)']);
    expect(problemsOf([{ ...valid, notify: { to: ['ops', 'nope'] } }], ['ops'])).toEqual(['schedule "nightly": notify.to.1: unknown notification "nope"']);
  });

  it('checks the target cloud of enabled schedules: unknown is an error, defined but unusable a warning', () => {
    const warnings: string[] = [];
    const clouds = {
      names: ['prod', 'broken'],
      problem: (n: string) => (n === 'broken' ? 'clouds.yaml: clouds.broken.auth.pasword: unknown key' : undefined),
      warn: (l: string) => void warnings.push(l),
    };
    const sources = [
      { input: valid, origin: 'a.yaml' },
      { input: { ...valid, name: 'off', enabled: false, target: { cloud: 'nowhere', servers: ['x'] } }, origin: 'a.yaml' },
      { input: { ...valid, name: 'b', target: { cloud: 'broken', servers: ['x'] } }, origin: 'b.yaml' },
    ];
    expect(validateSchedules(sources, { clouds }).map((s) => s.name)).toEqual(['nightly', 'off', 'b']);
    expect(warnings).toEqual([
      'b.yaml: schedule "b": target.cloud: cloud "broken" is unusable, the schedule\'s slots will fail: clouds.yaml: clouds.broken.auth.pasword: unknown key',
    ]);
    warnings.length = 0;
    const typo = { input: { ...valid, name: 'typo', target: { cloud: 'prdo', servers: ['x'] } }, origin: 'c.yaml' };
    expect(() => validateSchedules([...sources, typo], { clouds })).toThrow(
      'c.yaml: schedule "typo": target.cloud: unknown cloud "prdo" (configured clouds: prod, broken)',
    );
    // a start that fails says why once, without warnings that do not matter any more
    expect(warnings).toEqual([]);
  });

  it('ships a valid example schedule', () => {
    const loaded = validateSchedules(declared.map((input) => ({ input })));
    const nightly = loaded.find((s) => s.name === 'nightly');
    expect(nightly).toBeDefined();
    // opt-in: disabled, or limited to servers carrying a selector
    expect(nightly!.enabled === false || nightly!.target.selector !== undefined).toBe(true);
  });
});

describe('YAML schedule files', () => {
  let dir = '';
  afterEach(() => {
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('loads one schedule, lists and {schedules: [...]} files in name order', () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-sched-'));
    writeFileSync(join(dir, 'a.yaml'), 'name: a\ncron: "@hourly"\ntarget: {cloud: prod, servers: [x]}\n');
    writeFileSync(join(dir, 'b.yml'), '- name: b\n  cron: "0 1 * * MON"\n  target: {cloud: prod, servers: [y]}\n');
    writeFileSync(
      join(dir, 'c.yaml'),
      'schedules:\n  - name: c\n    cron: "0 3 1 * *"\n    timezone: Europe/Zurich\n    target: {cloud: prod, selector: {tier: db}}\n',
    );
    writeFileSync(join(dir, 'notes.txt'), 'not a schedule');
    const loaded = loadSchedulesNode([], dir);
    expect(loaded.map((s) => s.name)).toEqual(['a', 'b', 'c']);
    expect(loaded[2]!.timezone).toBe('Europe/Zurich');
  });

  it('stops with the file, schedule and field', () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-sched-'));
    writeFileSync(join(dir, 'nightly.yaml'), 'name: nightly\ncron: "0 25 * * *"\ntarget: {cloud: prod, servers: [x]}\n');
    expect(() => loadSchedulesNode([], dir)).toThrow(`${join(dir, 'nightly.yaml')}: schedule "nightly": cron: hour: 25 out of range 0-23`);
  });

  it('detects duplicates across schedules.ts and files', () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-sched-'));
    writeFileSync(join(dir, 'x.yaml'), 'name: nightly\ncron: "@daily"\ntarget: {cloud: prod, servers: [x]}\n');
    expect(() => loadSchedulesNode([valid], dir)).toThrow(/duplicate schedule name \(also declared in schedules\/schedules.ts\)/);
  });

  it('reports YAML syntax errors by position without quoting the file', () => {
    dir = mkdtempSync(join(tmpdir(), 'snapflow-sched-'));
    writeFileSync(join(dir, 'bad.yaml'), 'name: x\n  cron: [unclosed secret-ish\n');
    let message = '';
    try {
      readScheduleFiles(dir);
    } catch (err) {
      message = (err as Error).message;
    }
    expect(message).toMatch(/bad\.yaml:\d+:\d+: YAML syntax error/);
    expect(message).not.toContain('secret-ish');
  });

  it('treats a missing directory as no files', () => {
    expect(readScheduleFiles(join(tmpdir(), 'snapflow-does-not-exist-42'))).toEqual([]);
  });
});

describe('slots', () => {
  const [s] = validateSchedules([{ input: valid }]);
  const nightly = s!;

  it('builds the idempotency key', () => {
    expect(slotKey(nightly, new Date('2026-11-26T01:30:00Z'), 'web-1')).toBe('schedule:nightly:2026-11-26T01:30:00.000Z:web-1');
  });

  it('computes the next run in the schedule zone', () => {
    expect(nextRun(nightly, new Date('2026-11-26T00:00:00Z')).toISOString()).toBe('2026-11-26T01:30:00.000Z');
  });

  it('finds a missed slot inside the grace window only', () => {
    const hour = 3_600_000;
    const slot = '2026-11-26T01:30:00.000Z'; // 02:30 CET
    const now = new Date('2026-11-26T02:00:00Z');
    expect(missedSlot(nightly, null, now, hour)?.toISOString()).toBe(slot);
    expect(missedSlot(nightly, new Date('2026-11-25T01:30:00Z'), now, hour)?.toISOString()).toBe(slot);
    // already fired
    expect(missedSlot(nightly, new Date(slot), now, hour)).toBeNull();
    expect(missedSlot(nightly, new Date('2026-11-26T01:31:00Z'), now, hour)).toBeNull();
    // outside the grace window
    expect(missedSlot(nightly, null, now, 29 * 60_000)).toBeNull();
    expect(missedSlot(nightly, null, now, 30 * 60_000)?.toISOString()).toBe(slot);
    // exactly at the slot
    expect(missedSlot(nightly, null, new Date(slot), 0)?.toISOString()).toBe(slot);
    // disabled schedules never run late
    expect(missedSlot({ ...nightly, enabled: false }, null, now, hour)).toBeNull();
  });

  it('returns only the most recent of several missed slots', () => {
    const hourly = { cron: '0 * * * *', timezone: 'UTC', enabled: true };
    const now = new Date('2026-11-26T10:20:00Z');
    expect(missedSlot(hourly, new Date('2026-11-26T06:00:00Z'), now, 6 * 3_600_000)?.toISOString()).toBe('2026-11-26T10:00:00.000Z');
  });

  it('lists the slots due since the last tick', () => {
    const since = new Date('2026-11-25T01:30:00Z');
    expect(dueSlots(nightly, since, new Date('2026-11-26T01:29:59Z'))).toEqual([]);
    expect(dueSlots(nightly, since, new Date('2026-11-26T01:35:00Z')).map((d) => d.toISOString())).toEqual(['2026-11-26T01:30:00.000Z']);
    expect(dueSlots(nightly, since, new Date('2026-11-28T03:00:00Z')).length).toBe(3);
    expect(dueSlots({ ...nightly, enabled: false }, since, new Date('2026-11-28T03:00:00Z'))).toEqual([]);
  });
});
