import type { JobState } from './types';

// The only state changes the stores will write. Every UPDATE that changes `state` is
// guarded by the expected current state, so this table plus the guard is the state machine.
export const TRANSITIONS: Readonly<Record<JobState, readonly JobState[]>> = {
  queued: ['running', 'cancelled'],
  // running → running: a reclaim after lease expiry, or a commit that keeps the lease
  running: ['queued', 'waiting', 'succeeded', 'failed', 'cancelled', 'running'],
  waiting: ['running', 'cancelled'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

export class IllegalTransitionError extends Error {
  readonly code = 'illegal_transition';
  constructor(
    readonly from: JobState,
    readonly to: JobState,
  ) {
    super(`illegal job state transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

export function canTransition(from: JobState, to: JobState): boolean {
  return TRANSITIONS[from]?.includes(to) ?? false;
}

/** Throws before any SQL is built, so an illegal change never reaches the database. */
export function assertTransition(from: JobState, to: JobState): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}
