/**
 * What can go wrong in a command, as one line for stderr and an exit code:
 *
 * | exit | meaning                                                                                        |
 * | ---- | ---------------------------------------------------------------------------------------------- |
 * | 0    | success (a watched job succeeded; a watch detached from)                                      |
 * | 1    | a failure: a job that failed or was cancelled, an API that cannot be reached, a 5xx, 408, 429 |
 * | 2    | bad input: a usage error, a missing or unreadable file, any other 4xx (a wrong key, a bad spec) |
 */
import { ApiError, type Problem } from '../client/index.js';

export const EXIT = { ok: 0, failure: 1, badInput: 2 } as const;

/** A problem to report as it is: its message is the line printed. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export const badInput = (message: string) => new CliError(message, EXIT.badInput);
export const failure = (message: string) => new CliError(message, EXIT.failure);

// Network errors by the code Node gives them, as a person reads them.
const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_CONNECT_TIMEOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed',
  UND_ERR_HEADERS_TIMEOUT: 'no answer in time',
  EPROTO: 'TLS handshake failed',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate',
  SELF_SIGNED_CERT_IN_CHAIN: 'self-signed certificate in the chain',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'certificate not trusted',
  CERT_HAS_EXPIRED: 'certificate expired',
  ERR_TLS_CERT_ALTNAME_INVALID: "certificate does not match the host's name",
};

/** The code of a fetch failure's cause (an AggregateError for a host with several addresses: its first's). */
function networkCode(error: unknown): string | undefined {
  const cause = (error as { cause?: unknown }).cause;
  if (typeof cause !== 'object' || cause === null) return undefined;
  const { code, errors } = cause as { code?: unknown; errors?: unknown[] };
  if (typeof code === 'string') return code;
  const first = errors?.[0] as { code?: unknown } | undefined;
  return typeof first?.code === 'string' ? first.code : undefined;
}

/** A fetch that failed before any answer came, as the one line the CLI prints. */
export function unreachable(url: string, error: unknown): CliError {
  const code = networkCode(error);
  const cause = (error as { cause?: { message?: unknown } }).cause;
  const reason =
    (code ? NETWORK_REASONS[code] : undefined) ??
    (typeof cause?.message === 'string' ? cause.message : undefined) ??
    (error instanceof Error ? error.message : String(error));
  return failure(`cannot reach ${url}: ${reason}`);
}

const FILE_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EACCES: 'permission denied',
  EPERM: 'not permitted',
  EISDIR: 'a folder, not a file',
  ENOTDIR: 'not a folder',
  EEXIST: 'already exists',
};

/** 4xx is the request's fault (bad input), but for timeouts and rate limits, which are worth trying again. */
function exitOfStatus(status: number): number {
  return status >= 400 && status < 500 && status !== 408 && status !== 429 ? EXIT.badInput : EXIT.failure;
}

const HINTS: Record<number, string> = {
  401: ' (give a key with --api-key, FINETUNED_API_KEY or `finetuned login`)',
};

/** The problem's `field` (a JSON pointer) when its detail does not name it already: ` (field /space/learningRate)`. */
function fieldOf(problem: Problem): string {
  const { field } = problem;
  if (typeof field !== 'string' || field === '' || problem.detail.includes(field.replace(/^\//, '')))
    return '';
  return ` (field ${field})`;
}

/** The line to print and the exit code for anything a command threw. */
export function explain(error: unknown): { message: string; exitCode: number } {
  if (error instanceof CliError) return { message: error.message, exitCode: error.exitCode };
  if (error instanceof ApiError) {
    const message = error.problem
      ? `${error.status} ${error.problem.code}: ${error.problem.detail}${fieldOf(error.problem)}`
      : `${error.status} ${error.response.statusText || 'error'} from ${error.response.url} (is it a finetuned API?)`;
    return { message: message + (HINTS[error.status] ?? ''), exitCode: exitOfStatus(error.status) };
  }
  if (error instanceof SyntaxError)
    return { message: `the answer was not the JSON expected: ${error.message}`, exitCode: EXIT.failure };
  // Files named on the command line that cannot be read (or written).
  const { code, path } = error as { code?: unknown; path?: unknown };
  const fileProblem = typeof code === 'string' ? FILE_PROBLEMS[code] : undefined;
  if (fileProblem) {
    const message = typeof path === 'string' ? `${fileProblem}: ${path}` : (error as Error).message;
    return { message, exitCode: EXIT.badInput };
  }
  return { message: error instanceof Error ? error.message : String(error), exitCode: EXIT.failure };
}
