import { z } from 'zod';

const linkSchema = z.object({ href: z.string(), rel: z.string() });

export const serverSchema = z.looseObject({
  id: z.string(),
  name: z.string(),
  status: z.string(),
  tenant_id: z.string().optional(),
  user_id: z.string().optional(),
  key_name: z.string().nullish(),
  created: z.string().optional(),
  updated: z.string().optional(),
  metadata: z.record(z.string(), z.string()).default({}),
  // "" for a volume-backed server, {id} otherwise.
  image: z.union([z.literal(''), z.object({ id: z.string() }).loose()]).nullish(),
  flavor: z.looseObject({ id: z.string().optional(), original_name: z.string().optional() }).optional(),
  addresses: z.record(z.string(), z.unknown()).optional(),
  'OS-EXT-STS:task_state': z.string().nullish(),
  'OS-EXT-STS:vm_state': z.string().nullish(),
  'OS-EXT-STS:power_state': z.number().nullish(),
  fault: z.looseObject({ message: z.string().optional(), code: z.number().optional(), details: z.string().optional() }).optional(),
  'os-extended-volumes:volumes_attached': z.array(z.looseObject({ id: z.string(), delete_on_termination: z.boolean().optional() })).optional(),
});
export type Server = z.infer<typeof serverSchema>;

export const serverEnvelope = z.object({ server: serverSchema });
export const serverListSchema = z.object({
  servers: z.array(serverSchema),
  servers_links: z.array(linkSchema).optional(),
});
export const createdServerSchema = z.object({
  server: z.looseObject({ id: z.string(), adminPass: z.string().optional() }),
});
export const versionDocSchema = z.object({
  version: z.object({ id: z.string(), version: z.string(), min_version: z.string() }),
});
export const createImageSchema = z.object({ image_id: z.string() });
export const flavorSchema = z.looseObject({ id: z.string(), name: z.string() });
export const flavorEnvelope = z.object({ flavor: flavorSchema });
export const keypairEnvelope = z.object({ keypair: z.looseObject({ name: z.string() }) });
export const flavorListSchema = z.object({ flavors: z.array(flavorSchema), flavors_links: z.array(linkSchema).optional() });

/** The image a server boots from; undefined for a volume-backed server. */
export function serverImageId(s: Server): string | undefined {
  return s.image && typeof s.image === 'object' ? s.image.id : undefined;
}

export function isVolumeBacked(s: Server): boolean {
  return serverImageId(s) === undefined;
}

export function taskState(s: Server): string | null {
  return s['OS-EXT-STS:task_state'] ?? null;
}

export function attachedVolumeIds(s: Server): string[] {
  return (s['os-extended-volumes:volumes_attached'] ?? []).map((v) => v.id);
}
