// Resolve the server a clone, move or rename copies, and record what the new server takes
// from it where the request does not say: flavor (by name: flavor ids differ between
// clouds), key pair, metadata, network, availability zone. Read-only. Refuses what the
// chain must not copy, for jobs queued while the cloud could not be asked at submission
// (the API's preflight refuses the same at once): for a move, a Windows guest. A
// volume-backed source is copied like any other: its workflow exports the root disk to an
// image first (volume-export.ts).
import { z } from 'zod';
import { done, fail } from '../../shared/engine/results';
import { step } from '../../shared/engine/typed-workflow';
import type { OpenStackClient } from '../../shared/openstack/client';
import type { Server } from '../../shared/openstack/compute-schemas';
import { serverImageId } from '../../shared/openstack/compute-schemas';
import { imageProperty } from '../../shared/openstack/image-schemas';
import { orNull } from '../../shared/openstack/or-null';
import type { WorkflowDeps } from '../workflows/deps';
import { rootVolume } from '../workflows/root-volume';
import { onCloud, POLL, permanent, RETRY } from '../workflows/step-support';
import { lookUpServer, resolvedFields, resolvedServer, resolveServerInput } from './resolve-server';

export const sourceServer = z.object({
  flavor: z.string(),
  /** GiB; null when Nova does not say (microversion below 2.47). */
  flavorDisk: z.number().nullable(),
  keyName: z.string().nullable(),
  metadata: z.record(z.string(), z.string()),
  network: z.string(),
  availabilityZone: z.string().nullable(),
  imageId: z.string().nullable(),
});
export type SourceServer = z.infer<typeof sourceServer>;

export interface ResolveSourceOptions {
  accept: readonly string[];
  /** A move refuses Windows guests: their licence and domain join need a request ticket. */
  refuseWindows?: boolean;
}

/** Why a server cannot be the source of a clone, move or rename; undefined when it can. */
export function sourceRefusal(server: Server, kind: string, imageOsType?: string): { code: string; message: string } | undefined {
  if (kind === 'move' && (server.metadata['landb-os'] === 'WINDOWS' || imageOsType?.toLowerCase() === 'windows')) {
    return { code: 'windows_move', message: `server ${server.id} is a Windows guest: moving it needs a request ticket (it is not done by snapflow)` };
  }
  return undefined;
}

/**
 * os_type of the image the server runs: Glance's property for an image-backed server, the
 * root volume's volume_image_metadata (Cinder's copy of it) for a volume-backed one.
 */
export async function sourceImageOsType(os: OpenStackClient, server: Server): Promise<string | undefined> {
  const imageId = serverImageId(server);
  if (imageId) {
    const image = await orNull(os.image.get(imageId));
    return image ? imageProperty(image, 'os_type') : undefined;
  }
  const osType = (await rootVolume(os, server))?.volume_image_metadata?.os_type;
  return typeof osType === 'string' ? osType : undefined;
}

/** The source's details the new server inherits (snapflow's own metadata is not copied). */
export function sourceDetails(server: Server): SourceServer {
  const flavor = server.flavor as { id?: string; original_name?: string; disk?: unknown } | undefined;
  const metadata = Object.fromEntries(Object.entries(server.metadata).filter(([k]) => !k.startsWith('snapflow_')));
  const addresses = Object.keys(server.addresses ?? {});
  const az = (server as Record<string, unknown>)['OS-EXT-AZ:availability_zone'];
  return {
    flavor: flavor?.original_name ?? flavor?.id ?? '',
    flavorDisk: typeof flavor?.disk === 'number' ? flavor.disk : null,
    keyName: server.key_name ?? null,
    metadata,
    // Nova names the networks in `addresses` but server create wants ids (Neutron's): a server
    // with addresses gets Nova's "auto" allocation, one without none.
    network: addresses.length > 0 ? 'auto' : 'none',
    availabilityZone: typeof az === 'string' && az !== '' ? az : null,
    imageId: serverImageId(server) ?? null,
  };
}

export function resolveSourceStep(deps: WorkflowDeps, opts: ResolveSourceOptions) {
  return step({
    name: 'resolve-server',
    input: resolveServerInput.extend({ kind: z.string() }),
    output: resolvedServer.extend({ source: sourceServer }),
    readOnly: true,
    retry: RETRY.read,
    wait: POLL.busy,
    timeout: 120_000,
    async run(ctx) {
      const found = await lookUpServer(deps, ctx, { accept: opts.accept });
      if ('end' in found) return found.end;
      const server = found.server;
      const osType = opts.refuseWindows ? await sourceImageOsType(onCloud(deps, ctx), server) : undefined;
      const refused = sourceRefusal(server, ctx.input.kind, osType);
      if (refused) return fail(permanent(refused.message, { code: refused.code }));
      return done({ ...resolvedFields(server), source: sourceDetails(server) });
    },
  });
}
