// The Cloudflare Workers entry (wrangler.toml `main`). workerd treats EVERY export of this
// module as a handler or entrypoint, so it exports the handlers object and nothing else
// (the factory and its helpers live in worker-handlers.ts; tests use createWorker there).
// It is evaluated in the global scope, where Workers forbid I/O, timers and random values:
// createWorker only allocates; the service is built on the first event.
import { waitUntil } from 'cloudflare:workers';
import { createWorker, workerExports } from './worker-handlers';

export default workerExports(createWorker({ waitUntil }));
