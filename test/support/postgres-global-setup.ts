import type { TestProject } from 'vitest/node';
import { startThrowawayPostgres } from '../../bench/lib/throwaway-postgres';

declare module 'vitest' {
  export interface ProvidedContext {
    pgUrl: string;
  }
}

/** Starts a real PostgreSQL for the node project unless SNAPFLOW_TEST_PG_URL names one. */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.SNAPFLOW_TEST_PG_URL;
  if (given) {
    project.provide('pgUrl', given);
    return async () => undefined;
  }
  const server = await startThrowawayPostgres();
  project.provide('pgUrl', server.url);
  return () => server.stop();
}
