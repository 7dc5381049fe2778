// The jsonschema messages Nova gives for a bad server-create body (checked on the lab). jsonschema
// reports the first failing keyword in schema order: the properties of `server` (name first),
// then its `required` list, then the top-level `required` ('server').
import { novaInvalidInput, pyRepr } from './py-repr';

const UUID = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Python str() of a value, which Nova's "Value: %s" uses (a string shows unquoted). */
const pyStr = (v: unknown): string => (typeof v === 'string' ? v : pyRepr(v));

function nameError(name: unknown): string | null {
  if (typeof name !== 'string') return `${pyRepr(name)} is not of type 'string'`;
  if (name.length < 1) return `${pyRepr(name)} is too short`;
  if (name.length > 255) return `${pyRepr(name)} is too long`;
  return null;
}

/** The 400 message for the body, or null when these checks pass (zod still checks the types). */
export function createBodyError(body: unknown, networksRequired: boolean): string | null {
  if (!isRecord(body) || !('server' in body)) return "'server' is a required property";
  const srv = body.server;
  if (!isRecord(srv)) return novaInvalidInput('server', srv, `${pyRepr(srv)} is not of type 'object'`);
  if ('name' in srv) {
    const why = nameError(srv.name);
    if (why) return `Invalid input for field/attribute name. Value: ${pyStr(srv.name)}. ${why}`;
  }
  // image_id_or_empty_string: oneOf [uuid, ''] (oslo is_uuid_like also takes the dashless form)
  if ('imageRef' in srv && srv.imageRef !== '' && !(typeof srv.imageRef === 'string' && UUID.test(srv.imageRef))) {
    return `Invalid input for field/attribute imageRef. Value: ${pyStr(srv.imageRef)}. ${pyRepr(srv.imageRef)} is not valid under any of the given schemas`;
  }
  for (const key of ['name', 'flavorRef', ...(networksRequired ? ['networks'] : [])]) {
    if (!(key in srv)) return novaInvalidInput('server', srv, `'${key}' is a required property`);
  }
  return null;
}
