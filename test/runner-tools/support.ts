import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

// What the sysprep tier needs: the real tools, a kernel for the libguestfs appliance, and the
// lab's test-image builder (../shared/lab/sysprep/make-test-image.sh, relative to the repo
// root as .ci/run uses the lab; a git worktree under <root>/wt/ looks one level further up).
// Missing pieces skip the tier with one line saying what to do.

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const SCRIPT = 'shared/lab/sysprep/make-test-image.sh';
export const MAKE_TEST_IMAGE = [join(ROOT, '..', SCRIPT), join(ROOT, '..', '..', SCRIPT)].find((p) => existsSync(p)) ?? join(ROOT, '..', SCRIPT);

const TOOLS = ['qemu-img', 'virt-sysprep', 'guestfish', 'mkfs.ext4', 'sfdisk'];

function onPath(tool: string): boolean {
  const dirs = `${process.env.PATH ?? ''}:/usr/sbin:/sbin`.split(':').filter(Boolean);
  return dirs.some((d) => existsSync(join(d, tool)));
}

/** Why the tier cannot run here, or null. */
export function missingTools(): string | null {
  const missing = TOOLS.filter((t) => !onPath(t));
  if (!existsSync('/boot') || !readdirSync('/boot').some((f) => f.startsWith('vmlinuz-'))) missing.push('a kernel in /boot (linux-image-amd64)');
  if (!existsSync(MAKE_TEST_IMAGE)) missing.push(MAKE_TEST_IMAGE);
  if (!missing.length) return null;
  return `sysprep tier skipped: missing ${missing.join(', ')} (run: bash scripts/ensure-system-deps.sh sysprep)`;
}

/** libguestfs settings for the tests: the caller's, else direct + TCG (KVM hangs on these machines). */
export function libguestfsForTests(): { backend: string; backendSettings: string[] } {
  const settings = process.env.LIBGUESTFS_BACKEND_SETTINGS;
  return {
    backend: process.env.LIBGUESTFS_BACKEND || 'direct',
    backendSettings: settings !== undefined ? settings.split(':').filter(Boolean) : ['force_tcg'],
  };
}

export function makeTestImage(out: string, ...args: string[]): Buffer {
  execFileSync('bash', [MAKE_TEST_IMAGE, out, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    env: { ...process.env, PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  return readFileSync(out);
}

export function qemuImg(...args: string[]): string {
  return execFileSync('qemu-img', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}
