import { describe, expect, it } from 'vitest';
import { createEventScopes } from '../../functions/worker-dispatch';

/** An ExecutionContext stand-in that records what it was asked to wait for. */
function fakeCtx() {
  const promises: Promise<unknown>[] = [];
  return { promises, waitUntil: (p: Promise<unknown>) => void promises.push(p), settled: () => Promise.allSettled(promises) };
}

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('createEventScopes (Workers dispatch)', () => {
  it('hands a run dispatched during an event to that event’s waitUntil, and keeps the event open until it settles', async () => {
    const scopes = createEventScopes();
    const ctx = fakeCtx();
    const gate = deferred();
    let ran = false;
    await scopes.run(ctx, async () => {
      scopes.dispatch('job-1', async () => {
        await gate.promise;
        ran = true;
      });
    });
    expect(ctx.promises).toHaveLength(1);
    expect(scopes.openCount).toBe(1); // handler done, run pending: still open
    gate.resolve();
    await ctx.settled();
    expect(ran).toBe(true);
    expect(scopes.openCount).toBe(0);
  });

  it('chains: a run dispatched by a run stays with the event that is still open', async () => {
    const scopes = createEventScopes();
    const ctx = fakeCtx();
    const order: string[] = [];
    await scopes.run(ctx, async () => {
      scopes.dispatch('j', async () => {
        order.push('step 1');
        scopes.dispatch('j', async () => void order.push('step 2'));
      });
    });
    // waitUntil promises arrive while earlier ones run: wait until no new one appears
    for (let seen = -1; seen !== ctx.promises.length; ) {
      seen = ctx.promises.length;
      await ctx.settled();
    }
    expect(order).toEqual(['step 1', 'step 2']);
    expect(ctx.promises).toHaveLength(2);
    expect(scopes.openCount).toBe(0);
  });

  it('with overlapping events, gives the run to every open one (the dispatcher’s own is among them)', async () => {
    const scopes = createEventScopes();
    const a = fakeCtx();
    const b = fakeCtx();
    const bDone = deferred();
    const bEvent = scopes.run(b, () => bDone.promise);
    await scopes.run(a, async () => scopes.dispatch('j', async () => {}));
    expect(a.promises).toHaveLength(1);
    expect(b.promises).toHaveLength(1);
    bDone.resolve();
    await bEvent;
    await Promise.all([a.settled(), b.settled()]);
    expect(scopes.openCount).toBe(0);
    // a finished event is not given later runs
    const c = fakeCtx();
    await scopes.run(c, async () => scopes.dispatch('k', async () => {}));
    expect([a.promises.length, b.promises.length, c.promises.length]).toEqual([1, 1, 1]);
  });

  it('still starts a run dispatched outside any event, and says so', async () => {
    const warnings: string[] = [];
    const scopes = createEventScopes({ warn: (m) => void warnings.push(m) });
    const done = deferred();
    scopes.dispatch('orphan', async () => done.resolve());
    await done.promise;
    expect(warnings).toEqual([expect.stringMatching(/outside any event/)]);
  });

  it('a failing run neither rejects the waitUntil promise nor leaks the event', async () => {
    const scopes = createEventScopes();
    const ctx = fakeCtx();
    await scopes.run(ctx, async () => scopes.dispatch('bad', async () => Promise.reject(new Error('boom'))));
    const [r] = await ctx.settled();
    expect(r?.status).toBe('fulfilled');
    expect(scopes.openCount).toBe(0);
  });
});
