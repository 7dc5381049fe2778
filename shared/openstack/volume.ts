import { z } from 'zod';
import type { ServiceClient } from './service-client';

// Cinder v3, the subset volume-backed servers need. The endpoint already carries the
// project id (`/v3/%(project_id)s`, substituted from the token).

export const volumeSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  size: z.number(),
  bootable: z.union([z.string(), z.boolean()]).optional(),
  snapshot_id: z.string().nullish(),
  source_volid: z.string().nullish(),
  volume_type: z.string().nullish(),
  availability_zone: z.string().nullish(),
  created_at: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).default({}),
  volume_image_metadata: z.record(z.string(), z.unknown()).optional(),
  attachments: z.array(z.looseObject({ server_id: z.string().optional(), attachment_id: z.string().optional() })).default([]),
});
export type Volume = z.infer<typeof volumeSchema>;

export const snapshotSchema = z.looseObject({
  id: z.string(),
  name: z.string().nullish(),
  status: z.string(),
  size: z.number(),
  volume_id: z.string(),
  description: z.string().nullish(),
  metadata: z.record(z.string(), z.string()).default({}),
});
export type VolumeSnapshot = z.infer<typeof snapshotSchema>;

const linkSchema = z.object({ href: z.string(), rel: z.string() });
const volumeListSchema = z.object({ volumes: z.array(volumeSchema), volumes_links: z.array(linkSchema).optional() });
const snapshotListSchema = z.object({ snapshots: z.array(snapshotSchema), snapshots_links: z.array(linkSchema).optional() });
const uploadImageSchema = z.object({
  'os-volume_upload_image': z.looseObject({ image_id: z.string(), status: z.string().optional() }),
});

export interface ListOptions {
  filters?: Record<string, string | number | boolean | undefined>;
  pageSize?: number;
  maxPages?: number;
}

export interface UploadToImageSpec {
  imageName: string;
  diskFormat?: string;
  containerFormat?: string;
  /** Allows uploading an in-use volume (Cinder refuses otherwise). */
  force?: boolean;
}

export class VolumeApi {
  constructor(private readonly svc: ServiceClient) {}

  available(): Promise<boolean> {
    return this.svc.identity.hasService('volume');
  }

  async getVolume(id: string): Promise<Volume> {
    return (await this.svc.json(z.object({ volume: volumeSchema }), 'GET', `/volumes/${enc(id)}`)).volume;
  }

  async listVolumes(opts: ListOptions = {}): Promise<Volume[]> {
    return this.collect(volumeListSchema, '/volumes/detail', opts, (d) => [d.volumes, d.volumes_links]);
  }

  async getSnapshot(id: string): Promise<VolumeSnapshot> {
    return (await this.svc.json(z.object({ snapshot: snapshotSchema }), 'GET', `/snapshots/${enc(id)}`)).snapshot;
  }

  async listSnapshots(opts: ListOptions = {}): Promise<VolumeSnapshot[]> {
    return this.collect(snapshotListSchema, '/snapshots/detail', opts, (d) => [d.snapshots, d.snapshots_links]);
  }

  async createVolumeFromSnapshot(spec: {
    snapshotId: string;
    name: string;
    /** GB; defaults to the snapshot's size. */
    size?: number;
    metadata?: Record<string, string>;
  }): Promise<Volume> {
    const size = spec.size ?? (await this.getSnapshot(spec.snapshotId)).size;
    const body = { volume: { snapshot_id: spec.snapshotId, name: spec.name, size, metadata: spec.metadata ?? {} } };
    return (await this.svc.json(z.object({ volume: volumeSchema }), 'POST', '/volumes', { json: body })).volume;
  }

  /** Starts `os-volume_upload_image`; returns the Glance image id (it becomes active later). */
  async uploadToImage(volumeId: string, spec: UploadToImageSpec): Promise<string> {
    const body = {
      'os-volume_upload_image': {
        image_name: spec.imageName,
        disk_format: spec.diskFormat ?? 'raw',
        container_format: spec.containerFormat ?? 'bare',
        force: spec.force ?? false,
      },
    };
    const doc = await this.svc.json(uploadImageSchema, 'POST', `/volumes/${enc(volumeId)}/action`, { json: body });
    return doc['os-volume_upload_image'].image_id;
  }

  async deleteVolume(id: string): Promise<void> {
    await this.svc.request('DELETE', `/volumes/${enc(id)}`);
  }

  async deleteSnapshot(id: string): Promise<void> {
    await this.svc.request('DELETE', `/snapshots/${enc(id)}`);
  }

  private async collect<T, D>(
    schema: z.ZodType<D>,
    path: string,
    opts: ListOptions,
    pick: (doc: D) => [T[], Array<{ href: string; rel: string }> | undefined],
  ): Promise<T[]> {
    const out: T[] = [];
    let target: string | undefined = path;
    let query: ListOptions['filters'] = { ...opts.filters, limit: opts.pageSize };
    for (let page = 0; target && page < (opts.maxPages ?? 100); page++) {
      const [items, links] = pick(await this.svc.json(schema, 'GET', target, { query }));
      out.push(...items);
      const next = links?.find((l) => l.rel === 'next')?.href;
      target = next && items.length > 0 ? await this.svc.rebase(next) : undefined;
      query = undefined;
    }
    return out;
  }
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
