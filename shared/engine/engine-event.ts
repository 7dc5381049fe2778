// What the engine reports after every committed transition (metrics, logs, long-poll
// wake-ups, notifications): its own module so the engine's parts can share it without
// importing the engine.
import type { JobPatch, NewJobEvent } from '../jobs/types';

export interface EngineEvent {
  jobId: string;
  kind: string;
  event: NewJobEvent;
  patch: JobPatch;
}
