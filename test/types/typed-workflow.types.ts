// Compile-time checks of the typed workflow builder (shared/engine/typed-workflow.ts). This
// file is not run: `tsc --noEmit` (the typecheck test) compiles it, and every
// `@ts-expect-error` below must still be an error, so a builder that stopped catching a
// misspelled context field would fail the suite.
import { z } from 'zod';
import { done } from '../../shared/engine/results';
import { step, workflow } from '../../shared/engine/typed-workflow';

const retry = { baseMs: 1, maxMs: 1, factor: 1 };
const params = z.object({ cloud: z.string(), server: z.string(), stop: z.boolean() });

const resolve = step({
  name: 'resolve',
  input: z.object({ cloud: z.string(), server: z.string() }),
  output: z.object({ serverId: z.string(), volumeBacked: z.boolean() }),
  retry,
  timeout: 1,
  run: () => done({ serverId: 'x', volumeBacked: false }),
});

const stop = step({
  name: 'stop',
  input: z.object({ cloud: z.string(), serverId: z.string() }),
  output: z.object({ stoppedByJob: z.boolean() }),
  retry,
  timeout: 1,
  run: () => done({ stoppedByJob: true }),
});

const snapshot = step({
  name: 'snapshot',
  input: z.object({ cloud: z.string(), serverId: z.string() }),
  output: z.object({ imageId: z.string() }),
  retry,
  timeout: 1,
  run: (ctx) => done({ imageId: ctx.input.serverId }),
});

// A step that misspells a context field: `serverID` is produced by nothing.
const typo = step({
  name: 'typo',
  input: z.object({ cloud: z.string(), serverID: z.string() }),
  output: z.object({}),
  retry,
  timeout: 1,
  run: () => done(),
});

// Needs what only a conditional step produces, as a required field.
const needsStopped = step({
  name: 'needs-stopped',
  input: z.object({ stoppedByJob: z.boolean() }),
  output: z.object({}),
  retry,
  timeout: 1,
  run: () => done(),
});

export const ok = workflow('ok', params, {})
  .step(resolve)
  .maybe(stop, { when: (p) => p.stop })
  .step(snapshot)
  .build({ result: (c) => ({ imageId: c.imageId, stopped: c.stoppedByJob ?? false }) });

export const misspelled = workflow('bad', params, {})
  .step(resolve)
  // @ts-expect-error serverID is not in the context
  .step(typo);

export const beforeItExists = workflow('bad2', params, {})
  // @ts-expect-error serverId is produced by resolve, which has not run yet
  .step(snapshot);

export const optionalUsedAsRequired = workflow('bad3', params, {})
  .step(resolve)
  .maybe(stop, { when: (p) => p.stop })
  // @ts-expect-error stoppedByJob is optional after a conditional step
  .step(needsStopped);

export const badOutput = step({
  name: 'bad-output',
  input: z.object({}),
  output: z.object({ imageId: z.string() }),
  retry,
  timeout: 1,
  // @ts-expect-error the patch must match the declared output
  run: () => done({ imageId: 42 }),
});

export const badResult = workflow('bad4', params, {})
  .step(resolve)
  // @ts-expect-error the context has no imageId before snapshot ran
  .build({ result: (c) => ({ id: c.imageId.length }) });

// A generic step whose options read the workflow's context: the context type flows in from
// the builder, so the selector is checked against it.
function waitFor<C extends { cloud: string; serverId: string }>(opts: { name: string; since: (c: C) => number | undefined }) {
  return step({
    name: opts.name,
    input: z.looseObject({ cloud: z.string(), serverId: z.string() }) as unknown as z.ZodType<C, C>,
    output: z.object({ observed: z.string().optional() }),
    retry,
    timeout: 1,
    run: (ctx) => done({ observed: String(opts.since(ctx.input)) }),
  });
}

const stopAt = step({
  name: 'stop-at',
  input: z.object({ cloud: z.string(), serverId: z.string() }),
  output: z.object({ stopRequestedAt: z.number() }),
  retry,
  timeout: 1,
  run: () => done({ stopRequestedAt: 1 }),
});

export const generic = workflow('generic', params, {})
  .step(resolve)
  .maybe(stopAt, { when: (p) => p.stop })
  .maybe(waitFor({ name: 'wait-shutoff', since: (c) => c.stopRequestedAt }), { when: (p) => p.stop })
  .build();

export const genericTypo = workflow('generic2', params, {})
  .step(resolve)
  .maybe(stopAt, { when: (p) => p.stop })
  // @ts-expect-error stopRequestAt is misspelled
  .maybe(waitFor({ name: 'wait-shutoff', since: (c) => c.stopRequestAt }), { when: (p) => p.stop })
  .build();
