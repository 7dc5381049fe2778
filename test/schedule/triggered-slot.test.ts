import { describe, expect, it } from 'vitest';
import { triggeredSlot } from '../../shared/schedule/slots';

// Which slot a Cron Trigger stands for (Workers: the scheduled handler's controller.cron).

const s = (cron: string, timezone = 'UTC', enabled = true) => ({ cron, timezone, enabled });
const at = (iso: string) => new Date(iso);

describe('triggeredSlot', () => {
  it('is the trigger time itself when it fires on time', () => {
    expect(triggeredSlot(s('0 2 * * *'), '0 2 * * *', at('2026-12-09T02:00:00Z'))?.toISOString()).toBe('2026-12-09T02:00:00.000Z');
  });

  it('run by hand at another time: the most recent slot that came due', () => {
    expect(triggeredSlot(s('0 2 * * *'), '0 2 * * *', at('2026-12-09T14:37:12Z'))?.toISOString()).toBe('2026-12-09T02:00:00.000Z');
    expect(triggeredSlot(s('0 2 * * *'), '0 2 * * *', at('2026-12-09T01:59:00Z'))?.toISOString()).toBe('2026-12-08T02:00:00.000Z');
  });

  it('matches the five-field form of an alias and ignores spacing; another expression or a disabled schedule is not fired', () => {
    expect(triggeredSlot(s('@daily'), '0 0 * * *', at('2026-12-09T00:00:00Z'))?.toISOString()).toBe('2026-12-09T00:00:00.000Z');
    expect(triggeredSlot(s('0  2 * * *'), ' 0 2 * * * ', at('2026-12-09T02:00:00Z'))).not.toBeNull();
    expect(triggeredSlot(s('0 3 * * *'), '0 2 * * *', at('2026-12-09T02:00:00Z'))).toBeNull();
    expect(triggeredSlot(s('0 2 * * *', 'UTC', false), '0 2 * * *', at('2026-12-09T02:00:00Z'))).toBeNull();
  });

  it('a schedule in another timezone: its own latest slot (the UTC trigger only stands for it by expression)', () => {
    // 02:00 in Zurich is 01:00 UTC in winter
    expect(triggeredSlot(s('0 2 * * *', 'Europe/Zurich'), '0 2 * * *', at('2026-12-09T02:00:00Z'))?.toISOString()).toBe('2026-12-09T01:00:00.000Z');
  });
});
