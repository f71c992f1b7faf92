import type { ProblemCode } from './problem-codes.js';

/**
 * Errors that become RFC 9457 problem+json responses. `code` is stable and documented; `detail` is for people;
 * extension members (`field`, `row`, `column`, …) say exactly what was wrong.
 */
export class ProblemError extends Error {
  constructor(
    readonly status: number,
    readonly code: ProblemCode,
    detail: string,
    readonly extensions: Record<string, unknown> = {},
    /** Response headers that go with it, such as `Retry-After`. */
    readonly headers: Record<string, string> = {},
  ) {
    super(detail);
    this.name = 'ProblemError';
  }

  /** For error handlers that read `statusCode`, as Fastify's errors carry it. */
  get statusCode(): number {
    return this.status;
  }
}

export const badRequest = (code: ProblemCode, detail: string, extensions?: Record<string, unknown>) =>
  new ProblemError(400, code, detail, extensions);

export const notFound = (
  kind: 'dataset' | 'model' | 'job' | 'sweep' | 'alias' | 'file' | 'webhook' | 'delivery',
  id: string,
) => new ProblemError(404, `${kind}_not_found`, `${kind} '${id}' does not exist`, { [`${kind}Id`]: id });

export const unprocessable = (code: ProblemCode, detail: string, extensions?: Record<string, unknown>) =>
  new ProblemError(422, code, detail, extensions);

/** 503 with `Retry-After`: the service is busy or a part of it is restarting. */
export const unavailable = (code: ProblemCode, detail: string, retryAfterSeconds = 1) =>
  new ProblemError(503, code, detail, {}, { 'retry-after': String(retryAfterSeconds) });

/** The store failed (unreachable, refusing, out of space): a 503 that keeps the cause for the log. */
export function storeUnavailable(cause: unknown): ProblemError {
  const error = unavailable(
    'store_unavailable',
    'the dataset and model store could not be reached; try again shortly',
    5,
  );
  error.cause = cause;
  return error;
}

export const conflict = (code: ProblemCode, detail: string, extensions?: Record<string, unknown>) =>
  new ProblemError(409, code, detail, extensions);

/** Problem titles by status, as RFC 9110 names them. */
export const STATUS_TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  431: 'Request Header Fields Too Large',
  422: 'Unprocessable Content',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
