import { describe } from 'vitest';
import { MemoryJobStore } from '../engine/memory-store';
import { registerRunnerTaskContract } from './store-contract-runner-tasks';
import { uid } from './store-contract-support';

// The runner-task contract on the in-memory store the engine tests use, so that tests of the
// clean-image step on it mean what they would on SQL.
describe('runner task contract: memory', () => {
  const store = new MemoryJobStore();
  registerRunnerTaskContract({
    store: () => store,
    add: async (kind, extra = {}) => (await store.insertJob({ id: `job-${uid()}`, kind, params: { n: 1 }, ...extra })).job,
    later: () => Date.now() + 1_000,
  });
});
