import { IntegrityError } from './errors';
import type { Image } from './image-schemas';
import type { HashAlgorithm, TransferResult } from './transport';

// Which digest proves that image bytes are Glance's bytes, and the check itself.
//
// Glance records two digests of every image: the "multihash" (`os_hash_algo` +
// `os_hash_value`, sha512 unless the operator set `hashing_algorithm`) and the legacy md5
// `checksum`, which Glance's own release notes call unnecessary for validating image data
// since Rocky. python-glanceclient (`openstack image save`) verifies the multihash and
// uses md5 only for images that have none. We do the same: computing both costs the
// transfer half its speed (one core here: sha512 759 MB/s, md5 748 MB/s, both 362 MB/s)
// and md5 adds no assurance that sha512 does not already give.

export const HASH_ALGORITHMS: readonly HashAlgorithm[] = ['sha512', 'sha384', 'sha256', 'sha224', 'sha1', 'md5'];

/** Glance's default `hashing_algorithm`, used for an upload until the cloud has shown its own. */
export const DEFAULT_MULTIHASH: HashAlgorithm = 'sha512';

/** Digests the caller knows the bytes must have (recorded earlier), by algorithm. */
export type ExpectedDigests = Partial<Record<HashAlgorithm, string>>;

export function isHashAlgorithm(s: string | null | undefined): s is HashAlgorithm {
  return !!s && (HASH_ALGORITHMS as readonly string[]).includes(s);
}

/**
 * What a download must compute: every digest the caller expects, plus the image's multihash
 * (or its md5 checksum when it has no multihash we can compute). Nothing when Glance recorded
 * no digest at all: the size check still runs.
 */
export function downloadHashes(image: Image, expected: ExpectedDigests = {}): HashAlgorithm[] {
  const algs = new Set<HashAlgorithm>(Object.keys(expected).filter(isHashAlgorithm));
  if (image.os_hash_value && isHashAlgorithm(image.os_hash_algo)) algs.add(image.os_hash_algo);
  else if (image.checksum) algs.add('md5');
  return [...algs];
}

/** What an upload computes: the expected digests plus the multihash Glance is known to use. */
export function uploadHashes(multihash: HashAlgorithm, expected: ExpectedDigests = {}): HashAlgorithm[] {
  return [...new Set<HashAlgorithm>([...Object.keys(expected).filter(isHashAlgorithm), multihash])];
}

/** Glance's record with the caller's expectations laid over it (the caller knows better). */
function recorded(image: Image, expected: ExpectedDigests): Partial<Record<HashAlgorithm, string>> {
  const out: Partial<Record<HashAlgorithm, string>> = {};
  if (image.checksum) out.md5 = image.checksum;
  if (image.os_hash_value && isHashAlgorithm(image.os_hash_algo)) out[image.os_hash_algo] = image.os_hash_value;
  return { ...out, ...expected };
}

/**
 * Compares what was computed while the bytes moved with what Glance (and the caller) recorded.
 * Answers the digests that matched, strongest first; `[]` means only the size could be checked
 * (Glance has no digest we computed: an image without hashes, or an upload to a cloud whose
 * `hashing_algorithm` we had not seen yet). Any mismatch, of digest or size, throws.
 */
export function verifyHashes(
  image: Image,
  got: TransferResult,
  ctx: { service: 'image'; method: string; path: string },
  what: string,
  expected: ExpectedDigests = {},
): HashAlgorithm[] {
  const want = recorded(image, expected);
  const problems: string[] = [];
  const matched: HashAlgorithm[] = [];
  for (const alg of HASH_ALGORITHMS) {
    const w = want[alg];
    const g = got.digests[alg];
    if (!w || !g) continue;
    if (w === g) matched.push(alg);
    else problems.push(`${alg} ${g.slice(0, 16)}… != ${label(image, alg, expected)} ${w.slice(0, 16)}…`);
  }
  if (typeof image.size === 'number' && image.size !== got.bytes) problems.push(`${got.bytes} bytes != size ${image.size}`);
  if (problems.length) throw new IntegrityError(ctx, `${what} image ${image.id} does not match Glance: ${problems.join('; ')}`);
  return matched;
}

function label(image: Image, alg: HashAlgorithm, expected: ExpectedDigests): string {
  if (expected[alg]) return 'expected';
  return alg === 'md5' && image.os_hash_algo !== 'md5' ? 'checksum' : 'os_hash_value';
}
