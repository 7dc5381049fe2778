// Does a rule match an event? Every condition a rule gives must hold; the answer for a rule
// that does not match names the first condition that failed, so the sender's delivery log
// says why nothing started.
import type { WebhookRule } from '../../shared/config/webhook-schema';
import type { HookEvent } from './hook-event';

function globRegex(glob: string): RegExp {
  return new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.')}$`,
    's',
  );
}

function globMiss(what: string, value: string | null, globs: readonly string[] | undefined): string | null {
  if (!globs) return null;
  if (value !== null && globs.some((g) => globRegex(g).test(value))) return null;
  return `${what} ${value === null ? '(none)' : JSON.stringify(value)} does not match ${globs.join(' | ')}`;
}

function oneOfMiss(what: string, value: string | null, words: readonly string[] | undefined): string | null {
  if (!words || (value !== null && words.includes(value))) return null;
  return `${what} ${value === null ? '(none)' : JSON.stringify(value)} is not one of ${words.join(', ')}`;
}

/** null when the rule matches the event, else why not. */
export function ruleMismatch(rule: WebhookRule, ev: HookEvent): string | null {
  if (rule.event !== ev.event) return `event ${ev.event}, not ${rule.event}`;
  return (
    globMiss('project', ev.project, rule.project) ??
    globMiss('ref', ev.ref, rule.ref) ??
    globMiss('name', ev.name, rule.name) ??
    oneOfMiss('status', ev.status, rule.status) ??
    oneOfMiss('conclusion', ev.conclusion, rule.conclusion)
  );
}

/** The rule's id in answers and idempotency keys. */
export function ruleId(rule: WebhookRule, index: number): string {
  return rule.id ?? String(index);
}
