import { ConflictError, errorFromResponse, OpenStackError, UnauthorizedError } from './errors';
import { type HttpOptions, notify, pathOf, transportError } from './http';
import type { ExpectedDigests } from './image-integrity';
import { DEFAULT_MULTIHASH, downloadHashes, isHashAlgorithm, uploadHashes, verifyHashes } from './image-integrity';
import { type Image, type ImageMember, type ImagePatchOp, imageListSchema, imageSchema, memberListSchema, memberSchema } from './image-schemas';
import type { ServiceClient } from './service-client';
import type { ByteSink, ByteSource, HashAlgorithm, ResumePolicy, TransferResult } from './transport';

export const JSON_PATCH_TYPE = 'application/openstack-images-v2.1-json-patch';

export interface CreateImageSpec {
  name: string;
  disk_format?: string;
  container_format?: string;
  visibility?: 'private' | 'shared' | 'community' | 'public';
  min_disk?: number;
  min_ram?: number;
  tags?: string[];
  /** Custom properties (Glance stores them as strings at the top level). */
  properties?: Record<string, string>;
}

export interface ListImagesOptions {
  filters?: Record<string, string | number | boolean | undefined>;
  pageSize?: number;
  maxPages?: number;
}

export interface TransferOptions {
  signal?: AbortSignal;
  /** Digests the bytes must have, when the caller knows better than Glance (e.g. recorded earlier). */
  expected?: ExpectedDigests;
  onProgress?: (bytes: number) => void;
  /** Download to a file only: continue after a dropped connection with Range requests (Node transport). */
  resume?: ResumePolicy;
}

export interface TransferSummary {
  bytes: number;
  /** Every digest computed while the bytes moved. */
  digests: Partial<Record<HashAlgorithm, string>>;
  /** The digests that matched Glance's record (and `expected`), strongest first; [] = size only. */
  verified: HashAlgorithm[];
  /** Times a download was resumed after a dropped connection. */
  resumes?: number;
}

export class ImageApi {
  /** The cloud's `hashing_algorithm`, as last seen on an image: what an upload computes. */
  private multihash: HashAlgorithm = DEFAULT_MULTIHASH;

  constructor(
    private readonly svc: ServiceClient,
    private readonly http: HttpOptions,
  ) {}

  async get(id: string): Promise<Image> {
    const image = await this.svc.json(imageSchema, 'GET', await this.v2(`/images/${enc(id)}`));
    if (image.os_hash_value && isHashAlgorithm(image.os_hash_algo)) this.multihash = image.os_hash_algo;
    return image;
  }

  async create(spec: CreateImageSpec): Promise<Image> {
    const { properties, ...fields } = spec;
    return this.svc.json(imageSchema, 'POST', await this.v2('/images'), { json: { ...properties, ...fields } });
  }

  async *list(opts: ListImagesOptions = {}): AsyncGenerator<Image> {
    const maxPages = opts.maxPages ?? 100;
    const root = await this.root();
    let url: string | undefined = await this.svc.url(`${root}/v2/images`, { ...opts.filters, limit: opts.pageSize });
    for (let page = 0; url && page < maxPages; page++) {
      const doc: { images: Image[]; next?: string } = await this.svc.json(imageListSchema, 'GET', url);
      yield* doc.images;
      // `next` is relative to the unversioned root: "/v2/images?marker=...".
      url = doc.next && doc.images.length > 0 ? await this.svc.rebase(`${root}${doc.next}`) : undefined;
    }
  }

  async listAll(opts: ListImagesOptions = {}): Promise<Image[]> {
    const out: Image[] = [];
    for await (const i of this.list(opts)) out.push(i);
    return out;
  }

  async update(id: string, ops: ImagePatchOp[]): Promise<Image> {
    return this.svc.json(imageSchema, 'PATCH', await this.v2(`/images/${enc(id)}`), {
      body: JSON.stringify(ops),
      contentType: JSON_PATCH_TYPE,
    });
  }

  /** Sets (adds or replaces) string properties; `add` replaces an existing member in JSON patch. */
  async setProperties(id: string, props: Record<string, string>): Promise<Image> {
    return this.update(
      id,
      Object.entries(props).map(([k, value]) => ({ op: 'add' as const, path: `/${escapePointer(k)}`, value })),
    );
  }

  async delete(id: string): Promise<void> {
    await this.svc.request('DELETE', await this.v2(`/images/${enc(id)}`));
  }

  async addMember(imageId: string, projectId: string): Promise<ImageMember> {
    return this.svc.json(memberSchema, 'POST', await this.v2(`/images/${enc(imageId)}/members`), { json: { member: projectId } });
  }

  /** Called by the member project (accept makes the image show up in its lists). */
  async setMemberStatus(imageId: string, memberId: string, status: 'accepted' | 'rejected' | 'pending'): Promise<ImageMember> {
    return this.svc.json(memberSchema, 'PUT', await this.v2(`/images/${enc(imageId)}/members/${enc(memberId)}`), {
      json: { status },
    });
  }

  async listMembers(imageId: string): Promise<ImageMember[]> {
    return (await this.svc.json(memberListSchema, 'GET', await this.v2(`/images/${enc(imageId)}/members`))).members;
  }

  async removeMember(imageId: string, memberId: string): Promise<void> {
    await this.svc.request('DELETE', await this.v2(`/images/${enc(imageId)}/members/${enc(memberId)}`));
  }

  /**
   * Streams bytes into a queued image, hashing them on the way, then checks that Glance
   * computed the same multihash (see image-integrity.ts for why not md5 as well) and size.
   * Byte sources other than `bytes` need the Node transport.
   */
  async upload(id: string, source: ByteSource, opts: TransferOptions = {}): Promise<TransferSummary> {
    const url = await this.v2(`/images/${enc(id)}/file`);
    const replayable = !('stream' in source);
    const hashes = uploadHashes(this.multihash, opts.expected);
    const result = await this.transfer('PUT', url, replayable, (headers) => {
      const transfer = this.http.transport.transfer;
      if (transfer) return transfer.upload({ method: 'PUT', url, headers, source, hashes, signal: opts.signal, onProgress: opts.onProgress });
      return this.fetchUpload(url, headers, source, hashes, opts);
    });
    const image = await this.get(id);
    const verified = verifyHashes(image, result, { service: 'image', method: 'PUT', path: pathOf(url) }, 'uploaded', opts.expected);
    return { bytes: result.bytes, digests: result.digests, verified };
  }

  /**
   * Streams the image data into `sink` (never into memory) and verifies the image's multihash
   * (`os_hash_value`; md5 `checksum` only for an image without one) and size, computed while
   * streaming. On a mismatch the sink holds bad bytes: the caller discards it (IntegrityError).
   */
  async download(id: string, sink: ByteSink, opts: TransferOptions = {}): Promise<TransferSummary> {
    const transfer = this.http.transport.transfer;
    const url = await this.v2(`/images/${enc(id)}/file`);
    if (!transfer) {
      throw new OpenStackError({ service: 'image', method: 'GET', path: pathOf(url) }, 'image download needs a transport with streaming transfer (Node)');
    }
    const image = await this.get(id);
    if (image.status !== 'active') {
      // Glance answers 204 with no bytes for a queued image: that must not look like an empty download.
      throw new ConflictError({ service: 'image', method: 'GET', path: pathOf(url) }, `image ${id} is ${image.status}, not active: nothing to download`);
    }
    const hashes = downloadHashes(image, opts.expected);
    const result = await this.transfer('GET', url, true, (headers) =>
      transfer.download({ url, headers, sink, hashes, signal: opts.signal, onProgress: opts.onProgress, resume: opts.resume }),
    );
    const verified = verifyHashes(image, result, { service: 'image', method: 'GET', path: pathOf(url) }, 'downloaded', opts.expected);
    return { bytes: result.bytes, digests: result.digests, verified, ...(result.resumes ? { resumes: result.resumes } : {}) };
  }

  private async transfer(
    method: string,
    url: string,
    replayable: boolean,
    run: (headers: Record<string, string>) => Promise<TransferResult>,
  ): Promise<TransferResult> {
    let token: Awaited<ReturnType<ServiceClient['identity']['token']>> | undefined;
    const once = async (): Promise<TransferResult> => {
      token = await this.svc.identity.token();
      const headers: Record<string, string> = { 'X-Auth-Token': token.value };
      if (method === 'PUT') headers['Content-Type'] = 'application/octet-stream';
      if (this.http.userAgent) headers['User-Agent'] = this.http.userAgent;
      const started = Date.now();
      const path = pathOf(url);
      let result: TransferResult;
      try {
        result = await run(headers);
      } catch (err) {
        notify(this.http, 'image', method, path, 0, undefined, started);
        throw transportError(err, { service: 'image', method, path });
      }
      const requestId = result.headers.get('x-openstack-request-id') ?? undefined;
      notify(this.http, 'image', method, path, result.status, requestId, started);
      if (result.status < 200 || result.status >= 300) {
        throw errorFromResponse({ service: 'image', method, path }, result.status, result.headers, result.errorBody ?? '');
      }
      return result;
    };
    try {
      return await once();
    } catch (err) {
      if (!(err instanceof UnauthorizedError) || !replayable) throw err;
      this.svc.identity.invalidate(token);
      return once();
    }
  }

  /** Workers path: only in-memory bytes, hashed with WebCrypto (which has no md5 or sha224). */
  private async fetchUpload(
    url: string,
    headers: Record<string, string>,
    source: ByteSource,
    hashes: HashAlgorithm[],
    opts: TransferOptions,
  ): Promise<TransferResult> {
    if (!('bytes' in source)) throw new Error('streaming upload from a file or stream needs the Node transport');
    const res = await this.http.transport.fetch(url, { method: 'PUT', headers, body: source.bytes, signal: opts.signal });
    const text = await res.text();
    const digests: TransferResult['digests'] = {};
    for (const alg of hashes) {
      const name = WEBCRYPTO_NAMES[alg];
      if (name) digests[alg] = toHex(new Uint8Array(await crypto.subtle.digest(name, source.bytes)));
    }
    opts.onProgress?.(source.bytes.byteLength);
    return { status: res.status, headers: res.headers, errorBody: res.ok ? undefined : text, bytes: source.bytes.byteLength, digests };
  }

  private async root(): Promise<string> {
    return (await this.svc.endpoint()).replace(/\/v2(\.\d+)?\/?$/, '');
  }

  private async v2(path: string): Promise<string> {
    return `${await this.root()}/v2${path}`;
  }
}

const WEBCRYPTO_NAMES: Partial<Record<HashAlgorithm, string>> = { sha512: 'SHA-512', sha384: 'SHA-384', sha256: 'SHA-256', sha1: 'SHA-1' };

function escapePointer(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function enc(s: string): string {
  return encodeURIComponent(s);
}
