// Minimal typing for the `cloudflare:test` helpers the app test uses (the package's own
// declarations need the @cloudflare/workers-types globals, kept out of the root tsconfig).
declare module 'cloudflare:test' {
  type Ctx = import('../../functions/worker-types').WorkerExecutionContext;
  type Controller = import('../../functions/worker-types').WorkerScheduledController;
  export function createExecutionContext(): Ctx;
  /** Waits for every `ctx.waitUntil()`ed promise to settle. */
  export function waitOnExecutionContext(ctx: Ctx): Promise<void>;
  export function createScheduledController(options?: { scheduledTime?: Date | number; cron?: string }): Controller;
}
