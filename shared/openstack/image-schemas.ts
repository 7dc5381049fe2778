import { z } from 'zod';

// Glance v2 puts user properties at the top level of the image document, so the schema
// is loose: everything not named here is a property (image_type, instance_uuid, ...).
export const imageSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  visibility: z.string().optional(),
  owner: z.string().nullish(),
  size: z.number().nullish(),
  checksum: z.string().nullish(),
  os_hash_algo: z.string().nullish(),
  os_hash_value: z.string().nullish(),
  disk_format: z.string().nullish(),
  container_format: z.string().nullish(),
  created_at: z.string().optional(),
  updated_at: z.string().optional(),
  protected: z.boolean().optional(),
  tags: z.array(z.string()).default([]),
});
export type Image = z.infer<typeof imageSchema>;

export const imageListSchema = z.object({
  images: z.array(imageSchema),
  next: z.string().optional(),
});

export const memberSchema = z.looseObject({
  image_id: z.string(),
  member_id: z.string(),
  status: z.enum(['pending', 'accepted', 'rejected']),
});
export type ImageMember = z.infer<typeof memberSchema>;
export const memberListSchema = z.object({ members: z.array(memberSchema) });

/** RFC 6902 subset Glance accepts (`application/openstack-images-v2.1-json-patch`). */
export type ImagePatchOp = { op: 'add' | 'replace'; path: string; value: unknown } | { op: 'remove'; path: string };

/** block_device_mapping of a volume-backed snapshot, a JSON string property in Glance. */
export const bdmEntrySchema = z.looseObject({
  source_type: z.string().optional(),
  destination_type: z.string().optional(),
  snapshot_id: z.string().nullish(),
  volume_id: z.string().nullish(),
  boot_index: z.number().nullish(),
  volume_size: z.number().nullish(),
});
export type BdmEntry = z.infer<typeof bdmEntrySchema>;

/** Cinder snapshot ids a (volume-backed) snapshot image depends on. */
export function imageVolumeSnapshotIds(image: Image): string[] {
  const raw = image.block_device_mapping;
  if (typeof raw !== 'string' || !raw) return [];
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return [];
  }
  const parsed = z.array(bdmEntrySchema).safeParse(doc);
  if (!parsed.success) return [];
  return parsed.data.flatMap((e) => (e.snapshot_id ? [e.snapshot_id] : []));
}

/** String-valued user property (Glance returns every custom property as a string). */
export function imageProperty(image: Image, key: string): string | undefined {
  const v = (image as Record<string, unknown>)[key];
  return typeof v === 'string' ? v : undefined;
}
