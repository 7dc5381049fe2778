// The one error envelope every route answers with:
//   {"error":{"code","message","field"?,"details"?,"requestId"?}}
// Handlers throw ApiError; app.onError turns it (and anything else) into the envelope.
import type { ContentfulStatusCode } from 'hono/utils/http-status';

export interface ErrorBody {
  error: {
    code: string;
    message: string;
    /** Dotted path of the offending input field ("confirm", "to.cloud"). */
    field?: string;
    details?: unknown;
    requestId?: string;
  };
}

export class ApiError extends Error {
  constructor(
    readonly status: ContentfulStatusCode,
    readonly code: string,
    message: string,
    readonly extra: { field?: string; details?: unknown; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.name = 'ApiError';
  }

  body(requestId?: string): ErrorBody {
    const { field, details } = this.extra;
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(field !== undefined && field !== '' ? { field } : {}),
        ...(details !== undefined ? { details } : {}),
        ...(requestId !== undefined ? { requestId } : {}),
      },
    };
  }
}

export const badRequest = (code: string, message: string, field?: string, details?: unknown) =>
  new ApiError(400, code, message, { ...(field !== undefined ? { field } : {}), ...(details !== undefined ? { details } : {}) });

export const notFound = (what: string) => new ApiError(404, 'not_found', `${what} not found`);

export const forbidden = (message: string, field?: string) => new ApiError(403, 'forbidden', message, field !== undefined ? { field } : {});

export const conflict = (code: string, message: string) => new ApiError(409, code, message);
