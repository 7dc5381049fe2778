// Runs in Node before the `workers` project: the OpenStack simulator on 127.0.0.1 for the
// workerd suites, which reach it with the global fetch as a deployed Worker reaches a cloud
// (workerd cannot start it: it is a Node HTTP server). Its clouds entry is handed over with
// vitest's provide/inject.
import type { TestProject } from 'vitest/node';
import { startSimulator } from '../../shared/sim/server';

/** Servers the workerd suites may use; each test takes its own so they do not lock each other. */
export const WORKERD_SIM_SERVERS = ['q-1', 'q-2', 'q-3', 'q-4', 'q-5', 'q-sched-1', 'q-sched-2', 'q-hooks', 'q-runner-1', 'q-clone'] as const;

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const sim = await startSimulator({
    latency: { build: 10, snapshot: 300, rebuild: 30, stop: 10, start: 10, delete: 10, volume: 10, volumeSnapshot: 10, upload: 10 },
  });
  for (const name of WORKERD_SIM_SERVERS) sim.state.addServer({ name });
  project.provide('simCloud', JSON.stringify(sim.cloud));
  return () => sim.close();
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** the simulator's clouds.yaml entry (admin project), as JSON */
    simCloud: string;
  }
}
