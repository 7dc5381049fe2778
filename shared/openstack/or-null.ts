import { NotFoundError } from './errors';

/** Turns a 404 into null so a classifier can report "vanished"; other errors propagate. */
export async function orNull<T>(promise: Promise<T>): Promise<T | null> {
  try {
    return await promise;
  } catch (err) {
    if (err instanceof NotFoundError) return null;
    throw err;
  }
}
