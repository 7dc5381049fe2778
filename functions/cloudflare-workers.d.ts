// The one `cloudflare:workers` export the Workers entry uses (the full
// @cloudflare/workers-types globals are kept out of the root tsconfig: they clash with
// @types/node).
declare module 'cloudflare:workers' {
  /** Keeps the current event (request, queue batch, cron) alive until the promise settles. */
  export function waitUntil(promise: Promise<unknown>): void;
}
