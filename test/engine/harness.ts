// Shared fixtures for the engine suites: a manual clock, the stores to run against
// (in-memory always, the real SQLite store once it exists), and a fake "cloud" whose
// creations are tagged with the job id so steps can be written idempotently.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEngine, type Engine, type EngineOptions } from '../../shared/engine/engine';
import type { JobStore } from '../../shared/jobs/types';
import { MemoryJobStore } from './memory-store';

export const T0 = 1_800_000_000_000;

export interface Clock {
  now: () => number;
  advance(ms: number): void;
  set(t: number): void;
}

export function manualClock(start = T0): Clock {
  let t = start;
  return { now: () => t, advance: (ms) => void (t += ms), set: (v) => void (t = v) };
}

export interface StoreFactory {
  name: string;
  open(clock: Clock): Promise<{ store: JobStore; dispose(): Promise<void> }>;
}

const memory: StoreFactory = {
  name: 'memory',
  async open(clock) {
    return { store: new MemoryJobStore(clock.now), dispose: async () => {} };
  },
};

const SQLITE_FACTORY = new URL('../../shared/jobs/open-sqlite-node.ts', import.meta.url);
const STORE_FACTORY = new URL('../../shared/jobs/create-job-store.ts', import.meta.url);

/** The other helper's SQLite store on a file (also used by the crash child and the bench). */
export async function openSqliteStore(path: string): Promise<JobStore> {
  const { openSqliteJobDb } = (await import(SQLITE_FACTORY.href)) as { openSqliteJobDb: (p: string) => unknown };
  const { createJobStore } = (await import(STORE_FACTORY.href)) as { createJobStore: (db: unknown) => JobStore };
  const store = createJobStore(openSqliteJobDb(path));
  await store.migrate();
  return store;
}

const sqlite: StoreFactory = {
  name: 'sqlite',
  async open() {
    const dir = mkdtempSync(join(tmpdir(), 'snapflow-engine-'));
    const store = await openSqliteStore(join(dir, 'jobs.db'));
    return {
      store,
      async dispose() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  },
};

/** The stores every engine suite runs against. */
export const STORES: StoreFactory[] = existsSync(SQLITE_FACTORY) && existsSync(STORE_FACTORY) ? [memory, sqlite] : [memory];

export const quietLog = { info: () => {}, warn: () => {}, error: () => {} };

export function engineFor(store: JobStore, clock: Clock, over: Partial<EngineOptions> & Pick<EngineOptions, 'workflows'>): Engine {
  return createEngine({
    store,
    owner: 'owner-a',
    leaseMs: 30_000,
    now: clock.now,
    random: () => 0.5,
    wakeWithinMs: 0,
    log: quietLog,
    ...over,
  });
}

/** A cloud stand-in: creations are tagged with the job id, so a step can look before it creates. */
export class FakeCloud {
  readonly things = new Map<string, { id: string; tag: string; name: string }>();
  creations = 0;
  private n = 0;
  create(tag: string, name: string): string {
    this.creations++;
    const id = `thing-${++this.n}`;
    this.things.set(id, { id, tag, name });
    return id;
  }
  find(tag: string, name: string): string | undefined {
    return [...this.things.values()].find((t) => t.tag === tag && t.name === name)?.id;
  }
  delete(id: string): boolean {
    return this.things.delete(id);
  }
}
