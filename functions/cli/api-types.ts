// The shapes of the service's replies, taken from the schemas its routes validate and
// document with (type-only imports: nothing of zod or the service ends up in the bundle).
import type { z } from 'zod';
import type {
  dryRunReply,
  errorReply,
  eventsReply,
  jobListReply,
  jobReply,
  scheduleRunReply,
  schedulesReply,
  snapshotsReply,
  submitReply,
  waitReply,
} from '../http/schemas';

export type JobJson = z.output<typeof jobReply>;
export type WaitJson = z.output<typeof waitReply>;
export type JobListJson = z.output<typeof jobListReply>;
export type EventsJson = z.output<typeof eventsReply>;
export type EventJson = EventsJson['events'][number];
export type SubmitJson = z.output<typeof submitReply>;
export type DryRunJson = z.output<typeof dryRunReply>;
export type SchedulesJson = z.output<typeof schedulesReply>;
export type ScheduleRunJson = z.output<typeof scheduleRunReply>;
export type SnapshotsJson = z.output<typeof snapshotsReply>;
export type ErrorJson = z.output<typeof errorReply>;

export const TERMINAL = ['succeeded', 'failed', 'cancelled'] as const;
export const isTerminalState = (state: string) => (TERMINAL as readonly string[]).includes(state);
