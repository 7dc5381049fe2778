// The engine tests' in-memory job store keeps the same contract as the real ones, so an
// engine test on it says something about the engine on SQLite, PostgreSQL and D1.
import { MemoryJobStore } from '../engine/memory-store';
import { runStoreContract } from './store-contract';

runStoreContract('memory', async () => new MemoryJobStore());
