// Child process for the crash-injection test:
//   node --import tsx test/engine/crash-child.ts <db> <jobId> <killAt>
// with SIM_CLOUD={url,auth} in the environment. It submits job <jobId> and runs it; on
// reaching the kill point it prints "M <point>" and hangs until the parent SIGKILLs it.
import { writeSync } from 'node:fs';
import { createEngine } from '../../shared/engine/engine';
import { crashWorkflow, GlanceLite, type SimCloud } from './crash-workflow';
import { openSqliteStore } from './harness';

const [dbPath, jobId, killAt] = process.argv.slice(2);
if (!dbPath || !jobId || !killAt || !process.env.SIM_CLOUD) {
  console.error('usage: crash-child.ts <db> <jobId> <killAt> (SIM_CLOUD set)');
  process.exit(2);
}
// Never outlive a parent that forgot us.
setTimeout(() => process.exit(3), 20_000).unref();

const cloud = JSON.parse(process.env.SIM_CLOUD) as SimCloud;
// Blocks the whole process synchronously at the kill point, so nothing (no dispatched next
// step, no heartbeat) runs between the marker and the SIGKILL.
const blockForever = (): void => {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20_000);
  process.exit(4);
};
const markSync = (name: string): void => {
  if (name !== killAt) return;
  writeSync(1, `M ${name}\n`);
  blockForever();
};
const mark = async (name: string): Promise<void> => markSync(name);

const store = await openSqliteStore(dbPath);
const engine = createEngine({
  store,
  workflows: [crashWorkflow(new GlanceLite(cloud), mark)],
  owner: `child-${process.pid}`,
  leaseMs: 400,
  // The cases share one SQLite file and run at once: with hand-over, one case's engine could
  // take another case's job between two of its steps (right in production, where any instance
  // runs any job) and that child would never reach its kill point.
  handOver: false,
  newId: () => jobId,
  log: { info: () => {}, warn: () => {}, error: (m, d) => console.error(m, d) },
  onEvent: (e) => {
    if (e.event.type === 'step.done') markSync(`commit:${e.event.step}`);
  },
});
await engine.submit('crashy', {});
markSync('submitted');
await engine.drain(15_000);
writeSync(1, 'M finished\n');
await store.close();
