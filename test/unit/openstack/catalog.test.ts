import { describe, expect, it } from 'vitest';
import { type Catalog, selectEndpoint } from '../../../shared/openstack/catalog';

const ep = (iface: string, region: string, url: string) => ({ interface: iface, region, region_id: region, url });
const catalog: Catalog = [
  {
    type: 'compute',
    endpoints: [ep('public', 'RegionOne', 'http://pub/v2.1'), ep('internal', 'RegionOne', 'http://int/v2.1'), ep('public', 'RegionTwo', 'http://two/v2.1')],
  },
  { type: 'volumev3', endpoints: [ep('public', 'RegionOne', 'http://cinder/v3/%(project_id)s')] },
  { type: 'image', endpoints: [ep('public', 'RegionOne', 'http://glance/')] },
];

describe('service catalog endpoint selection', () => {
  it('by interface and region', () => {
    expect(selectEndpoint(catalog, { service: 'compute', interface: 'public', region: 'RegionOne' })).toBe('http://pub/v2.1');
    expect(selectEndpoint(catalog, { service: 'compute', interface: 'internal', region: 'RegionOne' })).toBe('http://int/v2.1');
    expect(selectEndpoint(catalog, { service: 'compute', interface: 'public', region: 'RegionTwo' })).toBe('http://two/v2.1');
    expect(selectEndpoint(catalog, { service: 'compute', interface: 'admin', region: 'RegionOne' })).toBeUndefined();
  });

  it('volume service aliases, project id substitution, trailing slash removed', () => {
    expect(selectEndpoint(catalog, { service: 'volume', interface: 'public', projectId: 'p1' })).toBe('http://cinder/v3/p1');
    expect(selectEndpoint(catalog, { service: 'image', interface: 'public' })).toBe('http://glance');
  });

  it('*_endpoint_override wins over the catalog', () => {
    const overrides = { block_storage: 'http://override/v3/%(project_id)s', image: 'http://img-override' };
    expect(selectEndpoint(catalog, { service: 'volume', interface: 'public', projectId: 'p1', overrides })).toBe('http://override/v3/p1');
    expect(selectEndpoint([], { service: 'image', interface: 'public', overrides })).toBe('http://img-override');
  });
});
