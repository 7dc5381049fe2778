// What the export chain's steps share: the name of what a job makes, how to find it again,
// and which Cinder snapshot of a boot-from-volume image holds the root disk.
import { z } from 'zod';
import { NonRetryableError } from '../../shared/engine/errors';
import type { OpenStackClient } from '../../shared/openstack/client';
import { bdmEntrySchema, type Image } from '../../shared/openstack/image-schemas';
import type { Volume } from '../../shared/openstack/volume';
import { SNAPFLOW_TAGS } from './tags';

/** Tags a snapflow snapshot carries that an export must not: it is no snapshot of a server. */
export const SNAPSHOT_ONLY_TAGS = [SNAPFLOW_TAGS.policy, SNAPFLOW_TAGS.server, SNAPFLOW_TAGS.volumeBacked] as const;

export const EXPORT_DISK_FORMATS = ['qcow2', 'raw'] as const;
export const exportDiskFormat = z.enum(EXPORT_DISK_FORMATS);

/** The name of the temporary volume and of the image a job exports. */
export function exportName(jobId: string): string {
  return `snapflow-export-${jobId}`;
}

/** The Cinder snapshot holding the root disk: the boot_index 0 entry, else the only one. */
export function rootVolumeSnapshotId(image: Image): string | undefined {
  const raw = image.block_device_mapping;
  if (typeof raw !== 'string' || !raw) return undefined;
  let doc: unknown;
  try {
    doc = JSON.parse(raw);
  } catch {
    return undefined;
  }
  const parsed = z.array(bdmEntrySchema).safeParse(doc);
  if (!parsed.success) return undefined;
  const withSnapshot = parsed.data.filter((e) => e.snapshot_id);
  const root = withSnapshot.find((e) => e.boot_index === 0) ?? (withSnapshot.length === 1 ? withSnapshot[0] : undefined);
  return root?.snapshot_id ?? undefined;
}

/** The temporary volume(s) of this job (normally 0 or 1), by name and snapflow_job metadata. */
export async function findExportVolumes(os: OpenStackClient, jobId: string): Promise<Volume[]> {
  const name = exportName(jobId);
  const list = await os.volume.listVolumes({ filters: { name } });
  return list.filter((v) => v.name === name && v.metadata[SNAPFLOW_TAGS.job] === jobId);
}

/** The export image(s) of this job, by name (its tag may still be an inherited one). */
export async function findExportImages(os: OpenStackClient, jobId: string): Promise<Image[]> {
  const name = exportName(jobId);
  return (await os.image.listAll({ filters: { name } })).filter((i) => i.name === name);
}

/**
 * A field an earlier step of the chain produced. The chain is placed under one condition, so
 * the types see its fields as optional; placed by placeVolumeExport they are always there.
 */
export function produced<T>(value: T | undefined, field: string, step: string): T {
  if (value === undefined) throw new NonRetryableError(`invalid input for step "${step}": ${field} is missing`, { code: 'invalid_input' });
  return value;
}

/** Cinder's created_at ("2026-12-07T13:14:07.000000", UTC without a zone) as epoch ms, or undefined. */
export function cinderTimeMs(at: string | null | undefined): number | undefined {
  if (!at) return undefined;
  const t = Date.parse(/(Z|[+-]\d\d:?\d\d)$/.test(at) ? at : `${at}Z`);
  return Number.isFinite(t) ? t : undefined;
}
