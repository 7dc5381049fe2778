import { z } from 'zod';

export const catalogSchema = z.array(
  z.object({
    type: z.string(),
    name: z.string().optional(),
    endpoints: z.array(
      z.object({
        interface: z.string(),
        region: z.string().nullish(),
        region_id: z.string().nullish(),
        url: z.string(),
      }),
    ),
  }),
);
export type Catalog = z.infer<typeof catalogSchema>;

/** Service types as they appear in real catalogs, most specific first. */
export const SERVICE_TYPES = {
  identity: ['identity'],
  compute: ['compute'],
  image: ['image'],
  volume: ['block-storage', 'volumev3', 'volume'],
} as const;

/** clouds.yaml override keys per service (openstacksdk accepts each alias). */
export const OVERRIDE_KEYS = {
  identity: ['identity'],
  compute: ['compute'],
  image: ['image'],
  volume: ['block_storage', 'volumev3', 'volume'],
} as const;

export type CatalogService = keyof typeof SERVICE_TYPES;

export interface EndpointQuery {
  service: CatalogService;
  interface: 'public' | 'internal' | 'admin';
  region?: string;
  projectId?: string;
  overrides?: Record<string, string>;
}

/** Returns the endpoint URL or undefined when the catalog has no such service. */
export function selectEndpoint(catalog: Catalog, q: EndpointQuery): string | undefined {
  for (const key of OVERRIDE_KEYS[q.service]) {
    const url = q.overrides?.[key];
    if (url) return substituteProject(url, q.projectId);
  }
  for (const type of SERVICE_TYPES[q.service]) {
    const entry = catalog.find((s) => s.type === type);
    if (!entry) continue;
    const ep = entry.endpoints.find((e) => e.interface === q.interface && (!q.region || e.region_id === q.region || e.region === q.region));
    if (ep) return substituteProject(ep.url, q.projectId);
  }
  return undefined;
}

export function hasService(catalog: Catalog, service: CatalogService): boolean {
  return SERVICE_TYPES[service].some((t) => catalog.some((s) => s.type === t));
}

function substituteProject(url: string, projectId?: string): string {
  const out = projectId ? url.replace(/%\((project_id|tenant_id)\)s/g, projectId) : url;
  return out.replace(/\/+$/, '');
}
