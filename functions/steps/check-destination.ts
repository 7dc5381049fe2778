// Before anything is stopped or deleted: the cloud the new server goes to has the flavor
// (by name: flavor ids differ between clouds) and, when one is asked for, the key pair
// (key pairs belong to the destination's user). Read-only; a move that keeps the hostname
// would otherwise find out only after its source was deleted.
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { type Fields, type Step, step } from '../../shared/engine/typed-workflow';
import { NotFoundError } from '../../shared/openstack/errors';
import type { WorkflowDeps } from '../workflows/deps';
import { permanent, RETRY } from '../workflows/step-support';

const output = z.object({ destFlavorId: z.string() });

export interface Destination {
  cloud: string;
  flavor: string;
  keyName?: string | null | undefined;
}

export function checkDestinationStep<C extends Fields>(deps: WorkflowDeps, dest: (context: C) => Destination): Step<C, z.infer<typeof output>> {
  return step({
    name: 'check-destination',
    input: z.looseObject({}) as unknown as z.ZodType<C>,
    output,
    readOnly: true,
    retry: RETRY.read,
    timeout: 60_000,
    async run(ctx) {
      const d = dest(ctx.input);
      const os = deps.openstack(d.cloud, ctx);
      let destFlavorId: string;
      try {
        destFlavorId = await os.compute.resolveFlavorId(d.flavor);
      } catch (err) {
        if (err instanceof NotFoundError)
          return fail(permanent(`flavor "${d.flavor}" in cloud "${d.cloud}": ${err.serverMessage}`, { code: 'flavor_not_found', cause: err }));
        throw err;
      }
      if (d.keyName && !(await os.compute.hasKeypair(d.keyName))) {
        return fail(permanent(`key pair "${d.keyName}" does not exist for the user of cloud "${d.cloud}"`, { code: 'keypair_not_found' }));
      }
      return done({ destFlavorId });
    },
  });
}
