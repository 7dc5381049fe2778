// Header checks every provider shares: the delivery id's shape, and the 401s that say
// which header was missing or wrong without ever echoing a secret.
import { ApiError, badRequest } from '../http/envelope';

const DELIVERY_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/**
 * The first of `names` present (a provider's preferred header first, the one every version
 * sends last: that one is named when none is there); it becomes part of job idempotency keys,
 * so its shape is checked.
 */
export function deliveryIdFrom(headers: Headers, ...names: string[]): string {
  const name = names.find((n) => headers.get(n) !== null);
  const value = name !== undefined ? headers.get(name)! : undefined;
  const fallback = names[names.length - 1]!;
  if (value === undefined) throw badRequest('invalid_header', `${fallback}: required (the delivery id)`, fallback);
  if (!DELIVERY_ID.test(value)) throw badRequest('invalid_header', `${name}: must be 1-128 characters of A-Z a-z 0-9 . _ : -`, name);
  return value;
}

export function unauthorized(code: string, message: string, header: string): ApiError {
  return new ApiError(401, code, message, { field: header });
}

/** The header value, or a 401 naming the missing header. */
export function requiredHeader(headers: Headers, name: string, what: string): string {
  const v = headers.get(name);
  if (v === null || v === '') throw unauthorized('unauthorized', `${name}: missing (${what})`, name);
  return v;
}
