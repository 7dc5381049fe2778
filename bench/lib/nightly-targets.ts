// The deployments bench/nightly.ts can measure, in the order it runs them.
import { nodePostgresTarget } from './nightly-node-postgres';
import { nodeSqliteTarget } from './nightly-node-sqlite';
import type { NightlyTarget } from './nightly-target';

export const NIGHTLY_TARGETS: readonly NightlyTarget[] = [nodeSqliteTarget, nodePostgresTarget];
