import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUndiciTransport } from '../../../shared/node/undici-transport';
import { OpenStackTimeoutError } from '../../../shared/openstack/errors';
import { transportError } from '../../../shared/openstack/http';

// The Node transport against a real local HTTP server (no mocks): streaming both ways with
// hashes, error bodies on the transfer path, and undici timeouts mapped to OpenStackTimeoutError.

const data = Buffer.alloc(5 * 1024 * 1024 + 7, 'snapflow');
const sha512 = createHash('sha512').update(data).digest('hex');
const md5 = createHash('md5').update(data).digest('hex');
let server: Server;
let base = '';
let received = '';

beforeAll(async () => {
  server = createServer((req, res) => {
    if (req.url === '/file' && req.method === 'PUT') {
      const h = createHash('sha512');
      req.on('data', (c: Buffer) => h.update(c));
      req.on('end', () => {
        received = h.digest('hex');
        res.writeHead(204, { 'x-openstack-request-id': 'req-put' }).end();
      });
    } else if (req.url === '/file') {
      res.writeHead(200, { 'content-length': String(data.length) });
      // Several writes: the client sees a real stream, not one buffer.
      for (let i = 0; i < data.length; i += 64 * 1024) res.write(data.subarray(i, i + 64 * 1024));
      res.end();
    } else if (req.url === '/slow') {
      // never answers: the headers timeout must fire
    } else {
      res.writeHead(404, { 'content-type': 'text/plain; charset=UTF-8', 'x-openstack-request-id': 'req-404' }).end('404 Not Found\n\nNo image found\n\n   ');
    }
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', () => ok()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((ok) => server.close(() => ok()));
});

describe('undici transport', () => {
  it('streams an upload from an async iterable and hashes it', async () => {
    const t = createUndiciTransport();
    async function* chunks() {
      for (let i = 0; i < data.length; i += 100_000) yield data.subarray(i, i + 100_000);
    }
    const r = await t.transfer!.upload({ method: 'PUT', url: `${base}/file`, headers: {}, hashes: ['sha512', 'md5'], source: { stream: chunks() } });
    expect(r).toMatchObject({ status: 204, bytes: data.length, digests: { sha512, md5 } });
    expect(received).toBe(sha512);
    expect(r.headers.get('x-openstack-request-id')).toBe('req-put');
    await t.close();
  });

  it('streams a download with progress and hashes', async () => {
    const t = createUndiciTransport();
    const progress: number[] = [];
    const chunks: Buffer[] = [];
    const { Writable } = await import('node:stream');
    const writable = new Writable({
      write(c: Buffer, _e, cb) {
        chunks.push(c);
        cb();
      },
    });
    const r = await t.transfer!.download({ url: `${base}/file`, headers: {}, hashes: ['sha256'], sink: { writable }, onProgress: (n) => progress.push(n) });
    // only the digests asked for are computed
    expect(r).toMatchObject({ status: 200, bytes: data.length, digests: { sha256: createHash('sha256').update(data).digest('hex') } });
    expect(Object.keys(r.digests)).toEqual(['sha256']);
    expect(Buffer.concat(chunks).equals(data)).toBe(true);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toBe(data.length);
    await t.close();
  });

  it('returns the error body of a failed transfer without touching the sink', async () => {
    const t = createUndiciTransport();
    let wrote = false;
    const { Writable } = await import('node:stream');
    const writable = new Writable({
      write(_c, _e, cb) {
        wrote = true;
        cb();
      },
    });
    const r = await t.transfer!.download({ url: `${base}/missing`, headers: {}, hashes: [], sink: { writable } });
    expect(r.status).toBe(404);
    expect(r.errorBody).toContain('No image found');
    expect(wrote).toBe(false);
    await t.close();
  });

  it('maps the undici headers timeout to TimeoutError', async () => {
    const t = createUndiciTransport({ headersTimeoutMs: 100 });
    const err = await t.fetch(`${base}/slow`, { method: 'GET' }).catch((e: unknown) => e);
    const mapped = transportError(err, { service: 'image', method: 'GET', path: '/slow' });
    expect(mapped).toBeInstanceOf(OpenStackTimeoutError);
    await t.close();
  });
});
