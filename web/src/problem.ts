import type { ProblemBody } from './api-types.js';

/** An API error as the page shows it: the problem's title and detail, and the scope a 403 names. */
export class ApiProblem extends Error {
  constructor(
    readonly status: number,
    readonly title: string,
    readonly detail: string,
    readonly code: string,
    readonly scope?: string,
  ) {
    super(`${title}: ${detail}`);
    this.name = 'ApiProblem';
  }

  /** The problem a failed response carries, or one made from its status when the body is not a problem. */
  static async from(response: Response): Promise<ApiProblem> {
    const text = await response.text().catch(() => '');
    let body: Partial<ProblemBody> = {};
    try {
      body = JSON.parse(text) as Partial<ProblemBody>;
    } catch {
      // A proxy's HTML error page, say: the status is all there is.
    }
    return new ApiProblem(
      response.status,
      body.title ?? (response.statusText || `HTTP ${response.status}`),
      body.detail ?? (text.slice(0, 200) || 'the server gave no detail'),
      body.code ?? 'unknown',
      typeof body.scope === 'string' ? body.scope : undefined,
    );
  }
}

/** Any error as a problem: the API's own, or a network failure (status 0). */
export function asProblem(error: unknown): ApiProblem {
  if (error instanceof ApiProblem) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new ApiProblem(0, 'Network error', `the API could not be reached (${message})`, 'network');
}
