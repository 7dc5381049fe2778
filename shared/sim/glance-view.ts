import { isoSeconds } from './http-util';
import type { Image, Member } from './model';
import { pyRepr } from './py-repr';

export function imageView(img: Image): Record<string, unknown> {
  const v: Record<string, unknown> = {
    ...img.props,
    name: img.name,
    disk_format: img.diskFormat,
    container_format: img.containerFormat,
    visibility: img.visibility,
    size: img.size,
    virtual_size: img.virtualSize,
    status: img.status,
    checksum: img.checksum,
    protected: img.protected,
    min_ram: img.minRam,
    min_disk: img.minDisk,
    owner: img.owner,
    os_hidden: img.hidden,
    os_hash_algo: img.hashAlgo,
    os_hash_value: img.hashValue,
    id: img.id,
    created_at: isoSeconds(img.createdAt),
    updated_at: isoSeconds(img.updatedAt),
    tags: img.tags,
    self: `/v2/images/${img.id}`,
    file: `/v2/images/${img.id}/file`,
    schema: '/v2/schemas/image',
  };
  if (img.status === 'active' && img.filePath) v.stores = 'fs';
  return v;
}

export function memberView(imageId: string, m: Member): Record<string, unknown> {
  return {
    member_id: m.memberId,
    image_id: imageId,
    status: m.status,
    created_at: isoSeconds(m.createdAt),
    updated_at: isoSeconds(m.updatedAt),
    schema: '/v2/schemas/member',
  };
}

/** Core attributes a client may set at creation or patch; anything else is a string property. */
export const CORE_WRITABLE = new Set(['name', 'disk_format', 'container_format', 'visibility', 'min_ram', 'min_disk', 'protected', 'tags', 'os_hidden']);
export const READ_ONLY = new Set([
  'id',
  'status',
  'size',
  'virtual_size',
  'checksum',
  'os_hash_algo',
  'os_hash_value',
  'created_at',
  'updated_at',
  'self',
  'file',
  'schema',
  'stores',
  'locations',
  'direct_url',
]);
export const DISK_FORMATS = new Set(['ami', 'ari', 'aki', 'vhd', 'vhdx', 'vmdk', 'raw', 'qcow2', 'vdi', 'iso', 'ploop']);
export const CONTAINER_FORMATS = new Set(['ami', 'ari', 'aki', 'bare', 'ovf', 'ova', 'docker', 'compressed']);

/** Glance's jsonschema message for an enum field (layout of Python's pformat, checked on the lab). */
function enumError(field: string, description: string, values: string[], value: unknown): string {
  const items = ['None', ...values.map((v) => pyRepr(v))];
  return (
    `Provided object does not match schema 'image': ${pyRepr(value)} is not one of [${items.join(', ')}]\n\n` +
    `Failed validating 'enum' in schema['properties']['${field}']:\n` +
    `    {'description': '${description}',\n     'enum': [${items.join(',\n              ')}],\n` +
    `     'type': ['null', 'string']}\n\nOn instance['${field}']:\n    ${pyRepr(value)}`
  );
}
function notStringError(key: string, value: unknown): string {
  return (
    `Provided object does not match schema 'image': ${pyRepr(value)} is not of type 'string'\n\n` +
    `Failed validating 'type' in schema['additionalProperties']:\n    {'type': 'string'}\n\nOn instance['${key}']:\n    ${pyRepr(value)}`
  );
}

/** Sets one core attribute or property; returns an error message for a 400. */
export function setAttr(img: Image, key: string, value: unknown): string | null {
  switch (key) {
    case 'name':
      if (value !== null && typeof value !== 'string') return `Invalid value for name`;
      img.name = value as string | null;
      return null;
    case 'disk_format':
      if (typeof value !== 'string' || !DISK_FORMATS.has(value)) return enumError('disk_format', 'Format of the disk', [...DISK_FORMATS], value);
      img.diskFormat = value;
      return null;
    case 'container_format':
      if (typeof value !== 'string' || !CONTAINER_FORMATS.has(value)) {
        return enumError('container_format', 'Format of the container', [...CONTAINER_FORMATS], value);
      }
      img.containerFormat = value;
      return null;
    case 'visibility':
      if (value !== 'public' && value !== 'private' && value !== 'shared' && value !== 'community') {
        return `Invalid visibility value: ${String(value)}`;
      }
      img.visibility = value;
      return null;
    case 'min_ram':
    case 'min_disk':
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) return `Invalid value for ${key}`;
      if (key === 'min_ram') img.minRam = value;
      else img.minDisk = value;
      return null;
    case 'protected':
    case 'os_hidden':
      if (typeof value !== 'boolean') return `Invalid value for ${key}`;
      if (key === 'protected') img.protected = value;
      else img.hidden = value;
      return null;
    case 'tags':
      if (!Array.isArray(value) || value.some((t) => typeof t !== 'string')) return 'Invalid value for tags';
      img.tags = [...new Set(value as string[])];
      return null;
    default:
      if (typeof value !== 'string') return notStringError(key, value);
      img.props[key] = value;
      return null;
  }
}
