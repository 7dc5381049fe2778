import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { OpenStackClient } from '../shared/openstack/client';
import { NotFoundError } from '../shared/openstack/errors';
import { isHashAlgorithm } from '../shared/openstack/image-integrity';
import { type Image, imageProperty } from '../shared/openstack/image-schemas';
import type { HashAlgorithm } from '../shared/openstack/transport';
import type { Task } from '../shared/runner/protocol';
import { TaskError } from './task-error';

// Step 6: the cleaned file into the target project, exactly once per task. Every image the
// runner creates carries `snapflow_job` and `snapflow_task`; once its bytes are in and the
// multihash Glance computed equals the local one, it also gets `snapflow_verified =
// <algo>:<digest>`. A later attempt of the same task (the runner died, or its `complete` was
// lost) finds that image and reports it instead of uploading again; an image of the task
// without the mark (the upload broke off, or it was never checked) is deleted first.

export interface Uploaded {
  imageId: string;
  bytes: number;
  verified: Partial<Record<HashAlgorithm, string>>;
  reused: boolean;
}

export const VERIFIED_PROPERTY = 'snapflow_verified';

function verifiedMark(image: Image): boolean {
  const mark = imageProperty(image, VERIFIED_PROPERTY);
  return image.status === 'active' && !!image.os_hash_algo && !!image.os_hash_value && mark === `${image.os_hash_algo}:${image.os_hash_value}`;
}

/** The task's images from earlier attempts: one verified image to reuse, and the rest to delete. */
export async function previousUploads(client: OpenStackClient, task: Task): Promise<{ reusable: Image | null; leftovers: Image[] }> {
  const tagged = await client.image.listAll({ filters: { snapflow_job: task.jobId, snapflow_task: task.id } });
  const mine = tagged.filter((i) => imageProperty(i, 'snapflow_job') === task.jobId && imageProperty(i, 'snapflow_task') === task.id);
  const reusable = mine.find(verifiedMark) ?? null;
  const leftovers = mine.filter((i) => i !== reusable && i.status !== 'deleted' && i.status !== 'pending_delete');
  return { reusable, leftovers };
}

export function reuseResult(image: Image): Uploaded {
  return { imageId: image.id, bytes: image.size ?? 0, verified: { [image.os_hash_algo as HashAlgorithm]: image.os_hash_value! }, reused: true };
}

export function targetProperties(task: Task): Record<string, string> {
  const props: Record<string, string> = { ...task.target.properties };
  if (task.clean.os === 'WINDOWS') props['landb-os'] = 'WINDOWS';
  else props.os = 'LINUX';
  props.snapflow_job = task.jobId;
  props.snapflow_task = task.id;
  props.snapflow_source_image = task.source.imageId;
  if (task.source.serverId) props.snapflow_source_server = task.source.serverId;
  return props;
}

export async function uploadCleaned(
  task: Task,
  client: OpenStackClient,
  file: string,
  opts: { signal: AbortSignal; onProgress: (bytes: number) => void },
): Promise<Uploaded> {
  const { reusable, leftovers } = await previousUploads(client, task);
  for (const old of leftovers) await deleteQuietly(client, old.id);
  if (reusable) return reuseResult(reusable);
  const created = await client.image.create({
    name: task.target.name,
    disk_format: task.target.diskFormat,
    container_format: task.target.containerFormat,
    visibility: task.target.visibility,
    properties: targetProperties(task),
  });
  try {
    const summary = await client.image.upload(created.id, { path: file }, { signal: opts.signal, onProgress: opts.onProgress });
    const image = await client.image.get(created.id);
    const algo = image.os_hash_algo;
    if (image.status !== 'active') throw new TaskError('upload_failed', `image ${created.id} is ${image.status} after the upload, not active`, true);
    if (!isHashAlgorithm(algo) || !image.os_hash_value) {
      throw new TaskError('integrity_mismatch', `Glance recorded no multihash for image ${created.id}: the upload cannot be checked`, false);
    }
    // computed while streaming when the client knew the cloud's algorithm, else read once more
    const local = summary.digests[algo] ?? (await hashFile(file, algo, opts.signal));
    if (local !== image.os_hash_value) {
      throw new TaskError(
        'integrity_mismatch',
        `uploaded image ${created.id}: Glance's ${algo} ${image.os_hash_value.slice(0, 16)}… is not the local ${local.slice(0, 16)}…`,
        false,
      );
    }
    await client.image.setProperties(created.id, { [VERIFIED_PROPERTY]: `${algo}:${local}` });
    return { imageId: created.id, bytes: summary.bytes, verified: { [algo]: local }, reused: false };
  } catch (err) {
    // a half-made image is removed now if possible; otherwise the next attempt removes it
    await deleteQuietly(client, created.id).catch(() => undefined);
    throw err;
  }
}

async function deleteQuietly(client: OpenStackClient, id: string): Promise<void> {
  try {
    await client.image.delete(id);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
}

export async function hashFile(path: string, algo: HashAlgorithm, signal?: AbortSignal): Promise<string> {
  const h = createHash(algo);
  for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024, signal })) h.update(chunk as Buffer);
  return h.digest('hex');
}
