import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { type Dispatcher, stream } from 'undici';
import type { ResumePolicy, TransferRequest, TransferResult } from '../openstack/transport';
import { HashingFileSink } from './hashing-file-sink';
import { TRANSFER_HIGH_WATER_MARK } from './hashing-stream';
import { collector, toHeaders } from './response-bits';

// A download to a file that survives dropped connections: one HashingFileSink for the whole
// transfer, fed by one short-lived forwarder per HTTP response. When a response breaks off,
// undici destroys only its forwarder; the sink keeps its digest state and write position, and
// the next request asks for `Range: bytes=<bytes the sink has hashed>-`. Bytes a broken
// response had queued in its forwarder were never hashed, so they are simply fetched again.
// Glance answers such a request with 206 and `Content-Range: bytes N-(size-1)/size`.

const MAX_DELAY_MS = 30_000;

interface Response {
  status: number;
  headers: Headers;
}

type Segment =
  /** a 2xx body went into the file completely */
  | { kind: 'done'; response: Response }
  /** a non-2xx answer (its body is the error body) */
  | { kind: 'answer'; response: Response; errorBody: string }
  /** no answer, or a body that broke off; `response` when a 2xx answer had started */
  | { kind: 'broken'; error: unknown; response?: Response };

/** The server cannot continue where the file stopped (ignored the Range, or another range). */
export class CannotResumeError extends Error {
  override name = 'CannotResumeError';
}

export async function resumableDownload(
  dispatcher: Dispatcher,
  req: TransferRequest & { sink: { path: string }; resume: ResumePolicy },
): Promise<TransferResult> {
  const file = new HashingFileSink(req.sink.path, req.hashes, req.onProgress);
  const written = finished(file);
  written.catch(() => undefined); // awaited below
  let first: Response | undefined;
  let total: number | undefined;
  let resumes = 0;
  try {
    for (let attempt = 0; ; attempt++) {
      const seg = await segment(dispatcher, req, file, file.bytes, total);
      if (!first && seg.kind !== 'answer' && seg.response) {
        first = seg.response;
        total = contentLength(first.headers);
      }
      if (seg.kind === 'done') break;
      let reason: unknown;
      if (seg.kind === 'answer') {
        // The first answer is the caller's to judge (404, 401, ...); a server error answering
        // a resume is one more broken attempt; anything else ends the transfer.
        const transient = seg.response.status >= 500 || seg.response.status === 429;
        if (!first || !transient) {
          file.destroy();
          return { ...seg.response, errorBody: seg.errorBody, bytes: 0, digests: {}, resumes };
        }
        reason = new Error(`resume answered ${seg.response.status}`);
      } else {
        reason = seg.error;
        if (req.signal?.aborted || file.errored || file.destroyed || reason instanceof CannotResumeError) throw reason;
      }
      if (attempt >= req.resume.attempts) throw reason;
      resumes += 1;
      req.resume.onResume?.({ attempt: resumes, from: file.bytes, reason: describe(reason) });
      await sleep(Math.min(MAX_DELAY_MS, (req.resume.delayMs ?? 1000) * 2 ** attempt), undefined, { signal: req.signal });
    }
    file.end();
    await written;
  } catch (err) {
    file.destroy();
    throw err;
  }
  return { ...first!, bytes: file.bytes, digests: file.digests().digests, resumes };
}

/** One GET (ranged from `from` when > 0) whose body goes into `file` without ending it. */
async function segment(dispatcher: Dispatcher, req: TransferRequest, file: HashingFileSink, from: number, total: number | undefined): Promise<Segment> {
  const headers: Record<string, string> = { ...req.headers };
  if (from > 0) headers.range = `bytes=${from}-`;
  let response: Response | undefined;
  const errorChunks: Buffer[] = [];
  try {
    await stream(req.url, { dispatcher, method: 'GET', headers, signal: req.signal }, (data) => {
      response = { status: data.statusCode, headers: toHeaders(data.headers) };
      const { status } = response;
      if (status < 200 || status >= 300) return collector(errorChunks);
      if (from > 0) {
        const range = parseContentRange(response.headers.get('content-range'));
        if (status !== 206 || !range || range.start !== from || (total !== undefined && range.total !== total)) {
          const got = range ? `bytes ${range.start}-${range.end}/${range.total}` : 'no Content-Range';
          throw new CannotResumeError(`cannot resume the download at byte ${from}: the server answered ${status} with ${got}`);
        }
      }
      return forwarder(file);
    });
  } catch (error) {
    const started = response && response.status >= 200 && response.status < 300 ? response : undefined;
    return started ? { kind: 'broken', error, response: started } : { kind: 'broken', error };
  }
  if (!response) return { kind: 'broken', error: new Error('no response') };
  if (response.status < 200 || response.status >= 300) {
    return { kind: 'answer', response, errorBody: Buffer.concat(errorChunks).toString('utf8') };
  }
  return { kind: 'done', response };
}

/** Passes chunks on to the file with its backpressure, and leaves the file open when the response ends. */
function forwarder(file: Writable): Writable {
  return new Writable({
    // as deep as the file's own queue: a shallower one would pause the socket on every chunk
    highWaterMark: TRANSFER_HIGH_WATER_MARK,
    write(chunk: Buffer, _enc, cb) {
      if (file.destroyed || file.errored) return cb(file.errored ?? new Error('download file closed'));
      if (file.write(chunk)) return cb();
      const done = (err?: Error | null) => {
        file.off('drain', onDrain);
        file.off('close', onClose);
        cb(err);
      };
      const onDrain = () => done();
      const onClose = () => done(file.errored ?? new Error('download file closed'));
      file.once('drain', onDrain);
      file.once('close', onClose);
    },
  });
}

export function parseContentRange(value: string | null): { start: number; end: number; total: number } | undefined {
  const m = /^bytes (\d+)-(\d+)\/(\d+)$/.exec(value?.trim() ?? '');
  return m ? { start: Number(m[1]), end: Number(m[2]), total: Number(m[3]) } : undefined;
}

function contentLength(h: Headers): number | undefined {
  const v = h.get('content-length');
  return v && /^\d+$/.test(v) ? Number(v) : undefined;
}

function describe(err: unknown): string {
  const parts: string[] = [];
  for (let e: unknown = err; e && parts.length < 3; e = (e as { cause?: unknown }).cause) {
    parts.push(e instanceof Error ? `${(e as { code?: string }).code ?? e.name}: ${e.message}` : String(e));
  }
  return parts.join(' <- ');
}
