// Image data: uploads and downloads stream through files in the temp dir, never whole in memory.
import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { rename } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { glance415 } from './errors';
import { findImage } from './glance';
import type { Ctx, Route } from './router';
import { empty, fail, failWebob, route, serviceHeaders } from './router';

async function upload(ctx: Ctx): Promise<void> {
  const s = ctx.state;
  const id = ctx.params.id!;
  const img = findImage(ctx, id);
  const ct = (ctx.req.headers['content-type'] ?? '').split(';')[0]!.trim();
  const reject = (fn: () => void) => {
    ctx.req.resume();
    fn();
  };
  // the request deserializer checks the media type before the controller looks the image up (lab)
  if (ct !== 'application/octet-stream') return reject(() => failWebob(ctx, 415, glance415(ct)));
  if (!img) return reject(() => fail(ctx, 404, `No image found with ID ${id}`));
  if (img.owner !== ctx.token!.projectId && !ctx.token!.roles.includes('admin')) {
    return reject(() => fail(ctx, 403, 'You are not permitted to upload data for this image.'));
  }
  if (img.status !== 'queued') {
    return reject(() => fail(ctx, 409, `Image status transition from ${img.status} to saving is not allowed`));
  }
  if (!img.diskFormat || !img.containerFormat) {
    return reject(() => fail(ctx, 400, 'Properties disk_format, container_format must be set prior to saving data.'));
  }
  img.status = 'saving';
  img.updatedAt = Date.now();
  const md5 = createHash('md5');
  const algo = s.hashingAlgorithm;
  const sha = createHash(algo);
  let size = 0;
  const hasher = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      md5.update(chunk);
      sha.update(chunk);
      size += chunk.length;
      cb(null, chunk);
    },
  });
  const part = `${s.imagePath(img.id)}.part`;
  let aborted = false;
  ctx.req.on('aborted', () => (aborted = true));
  try {
    await pipeline(ctx.req, hasher, createWriteStream(part));
    if (aborted || !ctx.req.complete) throw new Error('client went away');
  } catch {
    rmSync(part, { force: true });
    // the lab's Glance puts an interrupted upload back to queued
    if (img.status === 'saving') img.status = 'queued';
    if (!ctx.res.destroyed) fail(ctx, 400, 'Error in uploading image data: client disconnected');
    return;
  }
  if (!s.images.has(img.id)) {
    rmSync(part, { force: true });
    return fail(ctx, 410, `Image ${img.id} could not be found after upload. The image may have been deleted during the upload.`);
  }
  const path = s.imagePath(img.id);
  await rename(part, path);
  Object.assign(img, {
    filePath: path,
    size,
    virtualSize: img.diskFormat === 'raw' ? size : null,
    checksum: md5.digest('hex'),
    hashAlgo: algo,
    hashValue: sha.digest('hex'),
    status: 'active',
    updatedAt: Date.now(),
  });
  empty(ctx, 204);
}

function download(ctx: Ctx): void {
  const img = findImage(ctx, ctx.params.id!);
  if (!img) return fail(ctx, 404, `No image found with ID ${ctx.params.id}`);
  if (img.status === 'deactivated') return fail(ctx, 403, 'The requested image has been deactivated. Image data download is forbidden.');
  // Glance answers 204 when the image has no data yet (seen on the lab for a queued image)
  if (!img.filePath || img.status !== 'active') return empty(ctx, 204);
  const size = img.size ?? 0;
  const range = requestedRange(ctx, size);
  if (range === null) return;
  const headers: Record<string, string> = {
    ...serviceHeaders('glance', ctx.reqId, ''),
    'Content-Type': 'application/octet-stream',
    'Content-Md5': img.checksum ?? '',
    'Content-Length': String(range ? range.end - range.start + 1 : size),
  };
  if (range) headers['Content-Range'] = `bytes ${range.start}-${range.end}/${size}`;
  ctx.res.writeHead(range ? 206 : 200, headers);
  const rs = createReadStream(img.filePath, range ? { start: range.start, end: range.end } : {});
  rs.on('error', () => ctx.res.destroy());
  if (ctx.cutAfterBytes === undefined) {
    rs.pipe(ctx.res);
    return;
  }
  // fault: the connection breaks after this many bytes of the body
  let left = ctx.cutAfterBytes;
  rs.on('data', (data: string | Buffer) => {
    const chunk = data as Buffer; // no encoding was set: always a Buffer
    if (chunk.length < left) {
      left -= chunk.length;
      if (!ctx.res.write(chunk)) rs.pause();
      return;
    }
    rs.destroy();
    ctx.res.write(chunk.subarray(0, left), () => ctx.res.socket?.destroy());
  });
  ctx.res.on('drain', () => rs.resume());
  rs.on('end', () => ctx.res.end());
}

/**
 * The Range of a data download as Glance 25 reads it (webob's parser, one range only):
 * undefined = none, null = an error answer was sent. `bytes=N-` gives 206 with
 * `Content-Range: bytes N-(size-1)/size`.
 */
function requestedRange(ctx: Ctx, size: number): { start: number; end: number } | undefined | null {
  const raw = ctx.req.headers.range;
  if (raw === undefined) return undefined;
  if (raw.includes(',')) {
    fail(ctx, 400, 'Requests with multiple ranges are not supported in Glance. You may make multiple single-range requests instead.');
    return null;
  }
  const m = /^bytes=(\d*)-(\d*)$/.exec(raw.trim());
  const invalid = () => {
    fail(ctx, 416, 'Invalid Range header.');
    return null;
  };
  if (!m || (m[1] === '' && m[2] === '')) return invalid();
  if (m[1] === '') {
    // suffix: the last N bytes
    const n = Number(m[2]);
    if (n === 0) return invalid();
    return { start: n < size ? size - n : 0, end: size - 1 };
  }
  const start = Number(m[1]);
  if (m[2] !== '' && Number(m[2]) < start) return invalid();
  if (start >= size) {
    fail(ctx, 416, `Invalid start position in Range header. Start position MUST be in the inclusive range [0, ${size - 1}].`);
    return null;
  }
  const end = m[2] === '' ? size - 1 : Math.min(Number(m[2]), size - 1);
  return { start, end };
}

export function glanceDataRoutes(): Route[] {
  return [route('PUT', '/v2/images/{id}/file', 'glance', upload, { body: 'raw' }), route('GET', '/v2/images/{id}/file', 'glance', download)];
}
