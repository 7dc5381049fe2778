import { randomBytes } from 'node:crypto';
import { NotFoundError } from '../../shared/openstack/errors';

export function contractName(suffix = ''): string {
  return `snapflow-contract-${randomBytes(4).toString('hex')}${suffix}`;
}

/** LIFO cleanup that runs every step even when some fail; 404 counts as already clean. */
export class Cleanup {
  private readonly steps: Array<{ label: string; run: () => Promise<unknown> }> = [];

  add(label: string, run: () => Promise<unknown>): void {
    this.steps.push({ label, run });
  }

  async run(): Promise<void> {
    const failures: string[] = [];
    for (const step of this.steps.reverse()) {
      try {
        await step.run();
      } catch (err) {
        if (!(err instanceof NotFoundError)) failures.push(`${step.label}: ${String(err)}`);
      }
    }
    this.steps.length = 0;
    if (failures.length) throw new Error(`cleanup failed:\n${failures.join('\n')}`);
  }
}
