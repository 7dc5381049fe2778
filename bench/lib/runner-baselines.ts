import type { ChildProcess } from 'node:child_process';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CurlArgs, curlUploadArgs } from './curl-roundtrip';
import { runMeasured } from './peak-rss';

// The operator's ways of doing what one runner task does with its bytes, for bench/runner.ts,
// each timed as a whole process (start-up included, as typed):
//  - download and verify: `curl … | tee FILE | sha512sum`, the digest then compared with
//    Glance's os_hash_value, and `openstack image save --file FILE` (glanceclient);
//  - upload: `curl -T FILE` into an image made beforehand (bytes only).
// The token travels in a 0600 header file, never in argv.

export interface Leg {
  ms: number;
}

interface LegOptions {
  timeoutMs: number;
  rssFile: string;
  env?: NodeJS.ProcessEnv;
  onSpawn?: (c: ChildProcess) => void;
}

export class BaselineError extends Error {
  override name = 'BaselineError';
}

/** curl into tee into sha512sum, as one pipeline; the digest must be Glance's. */
export async function curlTeeSha512(glance: string, headerFile: string, imageId: string, file: string, want: string, o: LegOptions): Promise<Leg> {
  const script = 'set -o pipefail; curl -sS -f -H "@$1" "$2" | tee "$3" | sha512sum';
  const run = await runMeasured('bash', ['-c', script, 'curl-tee-sha512sum', headerFile, `${glance}/v2/images/${imageId}/file`, file], o);
  if (run.code !== 0) throw new BaselineError(`curl | tee | sha512sum: exit ${run.code ?? run.signal}: ${run.stderr.trim()}`);
  const got = run.stdout.trim().split(/\s+/)[0];
  if (got !== want) throw new BaselineError(`curl | tee | sha512sum: ${got?.slice(0, 16)}… is not Glance's ${want.slice(0, 16)}…`);
  return { ms: run.wallMs };
}

/** `openstack image save` (it checks the checksum Glance sends while it writes). */
export async function openstackImageSave(cloud: string, imageId: string, file: string, o: LegOptions): Promise<Leg> {
  const run = await runMeasured('openstack', ['--os-cloud', cloud, 'image', 'save', '--file', file, imageId], o);
  if (run.code !== 0) throw new BaselineError(`openstack image save: exit ${run.code ?? run.signal}: ${run.stderr.trim().slice(-500)}`);
  return { ms: run.wallMs };
}

/** `curl -T FILE` into the image `a.dst` (created by the caller). */
export async function curlPut(a: CurlArgs, o: LegOptions): Promise<Leg> {
  const run = await runMeasured('curl', curlUploadArgs(a), o);
  if (run.code !== 0) throw new BaselineError(`curl -T: exit ${run.code ?? run.signal}: ${run.stderr.trim()}`);
  return { ms: run.wallMs };
}

const SCRIPT = 'shared/lab/sysprep/make-test-image.sh';
const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** ../shared/lab/sysprep/make-test-image.sh (a git worktree under <root>/wt/ looks one level further up). */
export function makeTestImage(out: string, ...args: string[]): void {
  const script = [join(ROOT, '..', SCRIPT), join(ROOT, '..', '..', SCRIPT)].find((p) => existsSync(p));
  if (!script) throw new Error(`${SCRIPT} not found next to the repository`);
  execFileSync('bash', [script, out, ...args], {
    stdio: ['ignore', 'ignore', 'inherit'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
}
