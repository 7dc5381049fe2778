import type { ServiceName } from './errors';

// How the client reaches the network. Workers pass the global fetch; Node passes
// shared/node/undici-transport.ts, which also provides the streaming byte transfers.

export type FetchLike = (url: string, init: RequestInit) => Promise<Response>;

/** Where image bytes come from. `path` and `stream` need a transport with `transfer`. */
export type ByteSource = { bytes: Uint8Array } | { path: string } | { stream: AsyncIterable<Uint8Array> };

/** Where downloaded image bytes go (Node writable, or a local file path). */
export type ByteSink = { path: string } | { writable: WritableLike };

/** The part of a Node Writable the transfer hook needs (kept structural so Workers code type-checks). */
export interface WritableLike {
  write(chunk: Uint8Array, cb?: (err?: Error | null) => void): boolean;
  end(cb?: () => void): unknown;
  once(event: 'drain' | 'error' | 'finish' | 'close', listener: (...args: unknown[]) => void): unknown;
}

/** Digests the transfer computes while the bytes move (Glance's `os_hash_algo` values, and md5). */
export type HashAlgorithm = 'sha512' | 'sha384' | 'sha256' | 'sha224' | 'sha1' | 'md5';

export interface TransferRequest {
  url: string;
  /** Computed in one pass over each chunk; each one costs a core's worth of hashing speed. */
  hashes: HashAlgorithm[];
  headers: Record<string, string>;
  signal?: AbortSignal;
  /** Called with the running byte count (for heartbeats); cheap, synchronous. */
  onProgress?: (bytes: number) => void;
}

/**
 * Resuming a download to a file after the connection dropped mid-way (Node transport): a new
 * request with `Range: bytes=<bytes already written>-`, continuing the same file and the same
 * digest state, as long as the server answers 206 with the matching `Content-Range`.
 */
export interface ResumePolicy {
  /** Requests after the first one; 0 = no resume. A 5xx or 429 answer to a resume counts as one. */
  attempts: number;
  /** Wait before the first resume, doubled for each next one (default 1000, at most 30 s). */
  delayMs?: number;
  /** Told about each resume (for logs); cheap, synchronous. */
  onResume?: (info: { attempt: number; from: number; reason: string }) => void;
}

export interface TransferResult {
  /** With a resumed download: the status of the first answer (200). */
  status: number;
  headers: Headers;
  /** For non-2xx answers: the (small) error body, for the typed error. */
  errorBody?: string;
  bytes: number;
  digests: Partial<Record<HashAlgorithm, string>>;
  /** How many times a download was resumed with a Range request. */
  resumes?: number;
}

/** Node-only hooks that move image bytes without buffering them. */
export interface ByteTransfer {
  upload(req: TransferRequest & { method: 'PUT'; source: ByteSource }): Promise<TransferResult>;
  /** `resume` applies to file sinks (`{ path }`); a writable sink is never resumed. */
  download(req: TransferRequest & { sink: ByteSink; resume?: ResumePolicy }): Promise<TransferResult>;
}

export interface Transport {
  fetch: FetchLike;
  transfer?: ByteTransfer;
}

export interface CallInfo {
  service: ServiceName;
  method: string;
  /** Path only: the query string is dropped, so nothing sensitive reaches logs or metrics. */
  path: string;
  /** HTTP status, or 0 when no response arrived (network error, timeout). */
  status: number;
  requestId: string | undefined;
  durationMs: number;
}

export type CallObserver = (call: CallInfo) => void;
