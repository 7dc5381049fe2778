// Binds the HTTP port before anything says "listening": a port in use, a host that is not
// an address of this machine or a port below 1024 without the right are one clear line
// naming the settings, not an 'error' event's stack trace after the fact.
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { StartupError } from './node-startup-error';

const REASONS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'the host is not an address of this machine',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name does not resolve',
};

export type NodeServer = ReturnType<typeof createAdaptorServer>;

export async function listen(fetch: (req: Request) => Response | Promise<Response>, host: string, port: number): Promise<{ server: NodeServer; port: number }> {
  const server = createAdaptorServer({ fetch });
  await new Promise<void>((ok, fail) => {
    const onError = (err: NodeJS.ErrnoException) => {
      const code = err.code ?? 'error';
      fail(
        new StartupError(`SNAPFLOW_HOST=${host} SNAPFLOW_PORT=${port} (listen.host, listen.port): cannot listen: ${REASONS[code] ?? err.message} (${code})`),
      );
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      ok();
    });
  });
  return { server, port: (server.address() as AddressInfo).port };
}
