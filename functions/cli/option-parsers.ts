// Option value parsers for commander: a bad value is a usage error naming the option.
import { InvalidArgumentError } from 'commander';

export function positiveInt(max: number) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError('must be a whole number.');
    const n = Number(value);
    if (n < 1 || n > max) throw new InvalidArgumentError(`must be between 1 and ${max}.`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) throw new InvalidArgumentError('must be a positive number.');
  return n;
}

/** `--property k=v`, repeatable, into one map. */
export function keyValue(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const eq = value.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError('must be KEY=VALUE.');
  return { ...previous, [value.slice(0, eq)]: value.slice(eq + 1) };
}

/** Repeatable string option into a list. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}

export function oneOf<T extends string>(choices: readonly T[]) {
  return (value: string): T => {
    const hit = choices.find((c) => c.toLowerCase() === value.toLowerCase());
    if (!hit) throw new InvalidArgumentError(`must be one of ${choices.join(', ')}.`);
    return hit;
  };
}
