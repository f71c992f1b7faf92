import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { ProblemError, STATUS_TITLES, unavailable } from '../errors.js';
import { redactUrl } from '../http/redact-url.js';
import type { ProblemCode } from '../problem-codes.js';

export const PROBLEM_TYPE = 'application/problem+json';

function send(
  reply: FastifyReply,
  request: FastifyRequest,
  status: number,
  code: string,
  detail: string,
  extensions: Record<string, unknown> = {},
) {
  return reply
    .code(status)
    .type(PROBLEM_TYPE)
    .send({
      // Extensions never override the standard members.
      ...extensions,
      type: `https://finetuned.dev/problems/${code}`,
      title: STATUS_TITLES[status] ?? STATUS_CODES[status] ?? 'Error',
      status,
      code,
      detail,
      instance: redactUrl(request.url),
      requestId: request.id,
    });
}

/** Sends a {@link ProblemError} as the response: for the error handler, and for errors raised outside any route. */
export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: ProblemError) {
  reply.headers(error.headers);
  return send(reply, request, error.status, error.code, error.message, error.extensions);
}

/** Stable codes for the errors Fastify and its plugins raise before a handler runs. */
const FRAMEWORK_CODES: Record<string, ProblemCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'empty_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_content_length',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported_media_type',
  FST_REQ_FILE_TOO_LARGE: 'model_too_large',
  FST_FILES_LIMIT: 'too_many_files',
  FST_PARTS_LIMIT: 'too_many_parts',
  FST_FIELDS_LIMIT: 'too_many_fields',
  FST_PROTO_VIOLATION: 'invalid_json',
  FST_INVALID_MULTIPART_CONTENT_TYPE: 'unsupported_media_type',
};

/** Names the field of the first schema violation as a JSON pointer into the request part. */
function validationField(error: FastifyError): { field: string; detail: string } {
  const first = error.validation?.[0];
  const part = error.validationContext ?? 'body';
  if (!first) return { field: `/${part}`, detail: error.message };
  const params = first.params;
  const missing = typeof params.missingProperty === 'string' ? `/${params.missingProperty}` : '';
  const extra = typeof params.additionalProperty === 'string' ? `/${params.additionalProperty}` : '';
  const field = `${first.instancePath}${missing}${extra}` || '/';
  const what = extra
    ? `unknown property '${params.additionalProperty as string}'`
    : (first.message ?? 'is invalid');
  return {
    field: `/${part}${field === '/' ? '' : field}`,
    detail: `${part}${field === '/' ? '' : field} ${what}`,
  };
}

/** Redis errors that say it cannot take the command now: full (noeviction), a demoted or lost primary, loading. */
const REDIS_REFUSALS = /\b(OOM|READONLY|MASTERDOWN|LOADING|NOREPLICAS)\b/;
/** ioredis's errors when it has no connection to send a command on, and the socket's own. */
const REDIS_DISCONNECTED =
  /Stream isn't writeable|Connection is closed|Reached the max retries per request|ECONNREFUSED|ECONNRESET|ETIMEDOUT/;

/** Why Redis failed the request (refusing, or unreachable), judged by the error and by the connection; or undefined. */
function redisFailure(error: Error, app: FastifyInstance): string | undefined {
  const redis = app.redis as FastifyInstance['redis'] | undefined;
  if (!redis) return undefined;
  const refusal = REDIS_REFUSALS.exec(error.message)?.[1];
  if (refusal) return `the job queue (Redis) refused the command (${refusal}); try again shortly`;
  if (redis.status !== 'ready' || REDIS_DISCONNECTED.test(error.message))
    return 'the job queue (Redis) cannot be reached; try again shortly';
  return undefined;
}

/** The one error handler: every error becomes RFC 9457 problem+json with a stable `code`; 5xx hide internals. */
export function problemErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply) {
  if (error instanceof ProblemError) {
    if (error.status >= 500 && error.cause) request.log.error({ err: error.cause }, error.message);
    return sendProblem(reply, request, error);
  }
  if (error.validation) {
    const { field, detail } = validationField(error);
    return send(reply, request, 400, 'validation_failed', detail, {
      field,
      errors: error.validation.map((v) => ({
        field: `/${error.validationContext ?? 'body'}${v.instancePath}`,
        message: v.message,
      })),
    });
  }
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) {
    const code =
      FRAMEWORK_CODES[error.code] ?? (error.code ?? 'bad_request').replace(/^FST_(ERR_)?/, '').toLowerCase();
    // Malformed JSON is a syntax error (400) whatever status the parser chose; 413 and 415 keep theirs.
    return send(reply, request, status, code, error.message);
  }
  request.log.error({ err: error }, 'request failed');
  const redis = redisFailure(error, request.server);
  if (redis) return sendProblem(reply, request, unavailable('redis_unavailable', redis, 5));
  return send(
    reply,
    request,
    status >= 500 ? status : 500,
    'internal_error',
    'the server failed to handle this request; it has been logged',
  );
}

/** Problems for every error and for unknown routes. */
export default fp(
  async function problemPlugin(app: FastifyInstance) {
    app.setErrorHandler(problemErrorHandler);
    app.setNotFoundHandler((request, reply) =>
      send(reply, request, 404, 'route_not_found', `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'problem' },
);
