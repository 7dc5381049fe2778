// Minimal typing for the workerd-only module the D1 tests import. The full
// @cloudflare/workers-types globals are not pulled into the root tsconfig on purpose: they
// clash with @types/node for the rest of the project.
declare module 'cloudflare:workers' {
  export const env: { DB: import('../../shared/jobs/job-db').D1Like };
}
