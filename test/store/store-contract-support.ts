// Shared by the two halves of the job store contract.
import type { JobPatch, NewJobEvent } from '../../shared/jobs/types';

export const uid = () => crypto.randomUUID().slice(0, 8);
export const ev = (type: string, extra: Partial<NewJobEvent> = {}): NewJobEvent => ({
  type,
  fromState: null,
  toState: null,
  step: null,
  attempt: null,
  message: null,
  requestIds: [],
  data: null,
  ...extra,
});
export const done: JobPatch = { state: 'succeeded', result: { ok: true } };
