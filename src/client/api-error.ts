import type { Problem } from './types.js';

/** A problem+json body, or anything else an error response held (a proxy's HTML page, plain text). */
export function isProblem(body: unknown): body is Problem {
  return (
    typeof body === 'object' &&
    body !== null &&
    typeof (body as Problem).code === 'string' &&
    typeof (body as Problem).status === 'number'
  );
}

/** An answer with a 4xx or 5xx status: the problem the API sent, or the status alone for a body that is none. */
export class ApiError extends Error {
  readonly status: number;
  /** The RFC 9457 problem, when the body was one. */
  readonly problem: Problem | undefined;

  constructor(
    readonly response: Response,
    body: unknown,
  ) {
    const problem = isProblem(body) ? body : undefined;
    super(
      problem
        ? `${response.status} ${problem.code}: ${problem.detail}`
        : `${response.status} ${response.statusText || 'error'} from ${response.url || 'the API'}`,
    );
    this.name = 'ApiError';
    this.status = response.status;
    this.problem = problem;
  }
}

/** What openapi-fetch (and this client's own helpers) return: the data, or the error body, and the response. */
export type Result<T> =
  { data: T; error?: never; response: Response } | { data?: never; error: unknown; response: Response };

/** The data of a successful answer; an {@link ApiError} for any other. */
export async function unwrap<T>(
  result: Promise<{ data?: T; error?: unknown; response: Response }>,
): Promise<T> {
  const { data, error, response } = await result;
  if (!response.ok) throw new ApiError(response, error);
  return data as T;
}

/** A fetch response read as openapi-fetch reads one: JSON data when it succeeded, else the error body. */
export async function resultOf<T>(response: Response): Promise<Result<T>> {
  const text = await response.text();
  if (response.ok) return { data: JSON.parse(text) as T, response };
  let error: unknown = text;
  try {
    error = JSON.parse(text);
  } catch {
    // Not JSON: kept as text.
  }
  return { error, response };
}
