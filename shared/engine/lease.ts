// How long a claim holds a job without a heartbeat. While a step runs, the engine renews the
// lease every third of it (run-step.ts), so a long step keeps its job however long it
// takes; the length only decides how soon a job of a handler that died is taken over.
/**
 * PostgreSQL: several instances share the table and none can tell a dead peer from a slow
 * one, so its jobs resume when the lease runs out; short, so that a dead instance's jobs
 * resume within about 15 s (the lease, plus the safety tick of the instance that takes
 * them over).
 * SQLite: one service per file (instance lock), which takes its leases back at start
 * (Engine.recoverLeases): the lease never decides how soon a restart resumes, so it stays
 * long and costs few heartbeat writes. D1/Workers: resumed by the minute cron tick anyway.
 */
export function leaseMsFor(dialect: 'sqlite' | 'postgres' | 'd1'): number {
  return dialect === 'postgres' ? 10_000 : 60_000;
}
