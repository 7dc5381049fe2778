// The deployments bench/nightly.ts can measure, in the order it runs them.
import { nodePostgresTarget } from './nightly-node-postgres';
import { nodeSqliteTarget } from './nightly-node-sqlite';
import type { NightlyTarget } from './nightly-target';
import { workerD1Target } from './nightly-worker-d1';

export const NIGHTLY_TARGETS: readonly NightlyTarget[] = [nodeSqliteTarget, nodePostgresTarget, workerD1Target];
