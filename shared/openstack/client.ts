import { type CloudConfig, cloudConfigProblems } from './cloud-config';
import { Compute, type MicroversionCache } from './compute';
import type { HttpOptions } from './http';
import { Identity, type TokenCache } from './identity';
import { ImageApi } from './image';
import { ServiceClient } from './service-client';
import type { CallObserver, Transport } from './transport';
import { VolumeApi } from './volume';

export interface OpenStackClientOptions {
  transport: Transport;
  onCall?: CallObserver;
  userAgent?: string;
  /** Defaults to one process-wide cache (one token per cloud and scope). */
  tokenCache?: TokenCache;
  requestTimeoutMs?: number;
  /** Overrides clouds.yaml compute_api_version. */
  computeMicroversion?: string;
  /** Share negotiated Nova microversions between clients (default: negotiate per client). */
  versionCache?: MicroversionCache;
}

export interface OpenStackClient {
  cloud: CloudConfig;
  identity: Identity;
  compute: Compute;
  image: ImageApi;
  volume: VolumeApi;
}

export const DEFAULT_USER_AGENT = 'snapflow/0.1';

export function createOpenStackClient(cloud: CloudConfig, opts: OpenStackClientOptions): OpenStackClient {
  const problems = cloudConfigProblems(cloud);
  if (problems.length) throw new Error(`cloud ${cloud.name}: ${problems.join('; ')}`);
  const http: HttpOptions = {
    transport: opts.transport,
    onCall: opts.onCall,
    userAgent: opts.userAgent ?? DEFAULT_USER_AGENT,
    requestTimeoutMs: opts.requestTimeoutMs,
  };
  const identity = new Identity(cloud, { ...http, tokenCache: opts.tokenCache });
  return {
    cloud,
    identity,
    compute: new Compute(new ServiceClient(identity, 'compute', http), {
      microversion: opts.computeMicroversion ?? cloud.compute_api_version,
      ...(opts.versionCache ? { versionCache: opts.versionCache } : {}),
    }),
    image: new ImageApi(new ServiceClient(identity, 'image', http), http),
    volume: new VolumeApi(new ServiceClient(identity, 'volume', http)),
  };
}

/** The Workers transport: the platform's global fetch. */
export function globalFetchTransport(): Transport {
  return { fetch: (url, init) => fetch(url, init) };
}
