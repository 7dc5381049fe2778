// Glance's PATCH request deserializer (glance.api.v2.images.RequestDeserializer.update): it checks
// the whole JSON-patch body before the controller looks the image up, so a bad body on a missing
// image is a 400/403, not a 404 (checked on the lab).
import { READ_ONLY, setAttr } from './glance-view';
import { blankImage, type Image } from './model';

export const PATCH_TYPES: Record<string, 4 | 10> = {
  'application/openstack-images-v2.0-json-patch': 4,
  'application/openstack-images-v2.1-json-patch': 10,
};
const OPS = ['add', 'remove', 'replace'] as const;
export type PatchOp = (typeof OPS)[number];
export interface Change {
  op: PatchOp;
  key: string;
  value?: unknown;
}
export type PatchError = { status: 400 | 403; message: string };

const RESERVED = new Set(['location', 'deleted', 'deleted_at']);
const bad = (message: string): PatchError => ({ status: 400, message });
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function opAndPath(raw: Record<string, unknown>, draft: 4 | 10): { op: PatchOp; path: unknown } | PatchError {
  if (draft === 4) {
    // draft 4: {"replace": "/name", "value": ...}
    const present = OPS.filter((o) => o in raw);
    if (present.length > 1) return bad('Operation objects must contain only one member named "add", "remove", or "replace".');
    const op = present[0];
    if (!op) return bad('Operation objects must contain exactly one member named "add", "remove", or "replace".');
    return { op, path: raw[op] };
  }
  const op = raw.op;
  if (op === undefined) return bad(`Unable to find \`op\` in JSON Schema change. It must be one of the following: ${OPS.join(', ')}.`);
  if (typeof op !== 'string' || !(OPS as readonly string[]).includes(op)) {
    return bad(`Invalid operation: \`${String(op)}\`. It must be one of the following: ${OPS.join(', ')}.`);
  }
  if (!('path' in raw)) return bad("Unable to find 'path' in JSON Schema change");
  return { op: op as PatchOp, path: raw.path };
}

/** glance _validate_json_pointer + _decode_json_pointer (RFC 6901: ~1 is '/', ~0 is '~'). */
function decodePointer(pointer: string): string[] | PatchError {
  if (!pointer.startsWith('/')) return bad(`Pointer \`${pointer}\` does not start with "/".`);
  if (/\/\s*?\//.test(pointer.slice(1))) return bad(`Pointer \`${pointer}\` contains adjacent "/".`);
  if (pointer.length > 1 && pointer.endsWith('/')) return bad(`Pointer \`${pointer}\` end with "/".`);
  if (pointer.slice(1).trim() === '/') return bad(`Pointer \`${pointer}\` does not contains valid token.`);
  if (/~[^01]/.test(pointer) || pointer.endsWith('~')) {
    return bad(`Pointer \`${pointer}\` contains "~" not part of a recognized escape sequence.`);
  }
  return pointer
    .replace(/^\/+/, '')
    .split('/')
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~').trim());
}

/** A throwaway image: the deserializer validates each value against the schema on its own. */
const scratch = (): Image => blankImage('', 0, '', 0);

/** The changes, or the first error the deserializer would raise. */
export function parsePatch(body: unknown, draft: 4 | 10): Change[] | PatchError {
  if (!Array.isArray(body)) return bad('Request body must be a JSON array of operation objects.');
  const changes: Change[] = [];
  for (const raw of body) {
    if (!isRecord(raw)) return bad('Operations must be JSON objects.');
    const oap = opAndPath(raw, draft);
    if ('status' in oap) return oap;
    if (typeof oap.path !== 'string') return bad(`Pointer \`${String(oap.path)}\` does not start with "/".`);
    const path = decodePointer(oap.path);
    if (!Array.isArray(path)) return path;
    // only add/remove on /locations take a deeper path (/locations/N); the simulator has no locations API
    const depth = path[0] === 'locations' && oap.op !== 'replace' ? 2 : 1;
    if (path.length !== depth) return bad(`Invalid JSON pointer for this resource: '/${path.join('/')}'`);
    const key = path[0]!;
    const change: Change = { op: oap.op, key };
    if (oap.op !== 'remove') {
      if (!('value' in raw)) return bad(`Operation "${oap.op}" requires a member named "value".`);
      change.value = raw.value;
    }
    if (READ_ONLY.has(key) || key === 'owner') return { status: 403, message: `Attribute '${key}' is read-only.` };
    if (RESERVED.has(key)) return { status: 403, message: `Attribute '${key}' is reserved.` };
    if (oap.op !== 'remove') {
      const err = setAttr(scratch(), key, change.value);
      if (err) return bad(err);
    }
    changes.push(change);
  }
  return changes;
}
