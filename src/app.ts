import { fastifySSE } from '@fastify/sse';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyHttpOptions, FastifyInstance, FastifyServerOptions } from 'fastify';
import type { Server } from 'node:http';
import { randomUUID } from 'node:crypto';
import fp from 'fastify-plugin';
import type { Config } from './config.js';
import admin from './plugins/admin.js';
import auth from './plugins/auth.js';
import metrics from './plugins/metrics.js';
import problem, { sendProblem } from './plugins/problem.js';
import { ProblemError } from './errors.js';
import configPlugin from './plugins/config.js';
import redis from './plugins/redis.js';
import requestIntake from './plugins/request-intake.js';
import services from './plugins/services.js';
import security, { SECURITY_HEADERS } from './plugins/security.js';
import stores from './plugins/stores.js';
import swagger from './plugins/swagger.js';
import corsPlugin from './plugins/cors.js';
import webhooks from './plugins/webhooks.js';
import aliasRoutes from './routes/aliases.routes.js';
import baseRoutes from './routes/bases.routes.js';
import dashboardRoutes from './routes/dashboard.routes.js';
import datasetRoutes from './routes/datasets.routes.js';
import healthRoutes from './routes/health.routes.js';
import jobRoutes from './routes/jobs.routes.js';
import modelRoutes from './routes/models.routes.js';
import workerRoutes from './routes/workers.routes.js';
import webhookRoutes from './routes/webhooks.routes.js';
import sweepRoutes from './routes/sweeps.routes.js';
import sweeps from './plugins/sweeps.js';
import type { BackendInfo } from './tf/backend.js';

const REQUEST_ID = /^[\x21-\x7e]{1,128}$/;

export interface AppOptions {
  config: Config;
  backend: BackendInfo;
}

/** Fastify instance options: JSON body limit, request ids, logger redaction. */
export function serverOptions(
  config: Config,
  logger: FastifyServerOptions['logger'] = { level: config.LOG_LEVEL },
): FastifyHttpOptions<Server> {
  return {
    logger,
    bodyLimit: config.JSON_MAX_BYTES,
    // A client's X-Request-Id is kept when it is a plain token of at most 128 characters, else replaced: it is
    // echoed in every problem and log line.
    requestIdHeader: false,
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    // Timeouts against clients that send slowly or not at all; the body's own idle timeout is request-intake's.
    keepAliveTimeout: config.HTTP_KEEP_ALIVE_TIMEOUT_MS,
    requestTimeout: config.HTTP_REQUEST_TIMEOUT_MS,
    http: {
      headersTimeout: Math.min(config.HTTP_HEADERS_TIMEOUT_MS, config.HTTP_REQUEST_TIMEOUT_MS),
      // How often those two are checked: Node's default, 30 s, would let a short timeout run on for up to that.
      connectionsCheckingInterval: Math.min(1_000, config.HTTP_HEADERS_TIMEOUT_MS),
    },
    // Over-long ids reach the schemas, which name the field, rather than being cut off by the router.
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 1000 },
    // Errors the router raises before any route (a malformed URL) are problems like any other.
    frameworkErrors: (error, request, reply) => {
      const status = error.statusCode ?? 400;
      const code =
        error.code === 'FST_ERR_BAD_URL' ? 'bad_url' : status === 414 ? 'uri_too_long' : 'bad_request';
      // The message quotes the URL: cut, so that a long one is not echoed back whole.
      const detail = error.message.length > 300 ? `${error.message.slice(0, 300)}…` : error.message;
      // No hooks run for these: the security headers are set here.
      reply.headers(SECURITY_HEADERS);
      void sendProblem(reply, request, new ProblemError(status, code, detail));
    },
  };
}

function createAjv(strict: boolean) {
  const ajv = new Ajv.default({
    // Bodies are taken as typed: "10" is not a number. Query strings and params are text, so they are coerced.
    coerceTypes: strict ? false : 'array',
    useDefaults: true,
    removeAdditional: false,
    allErrors: false,
    strict: false,
  });
  addFormats.default(ajv);
  return ajv;
}

/**
 * The whole HTTP API as one plugin: tests register it on an instance without listening. It is not encapsulated,
 * so the instance it is registered on sees its services (tests and benches read the inference pool's counters).
 */
async function app(fastify: FastifyInstance, { config, backend }: AppOptions) {
  const bodyAjv = createAjv(true);
  const textAjv = createAjv(false);
  fastify.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? bodyAjv : textAjv).compile(schema),
  );

  // Only the types a route documents are parsed; plain text anywhere else is a 415.
  fastify.removeContentTypeParser('text/plain');
  await fastify.register(problem);
  await fastify.register(configPlugin, { config, backend });
  await fastify.register(requestIntake);
  await fastify.register(swagger);
  await fastify.register(redis);
  // Security headers go on every response, the ones authentication refuses included: helmet's hook runs first.
  await fastify.register(security);
  // Preflights carry no key: they are answered before authentication.
  await fastify.register(corsPlugin);
  await fastify.register(auth);
  await fastify.register(stores);
  await fastify.register(services);
  await fastify.register(sweeps);
  await fastify.register(metrics);
  await fastify.register(webhooks);
  await fastify.register(fastifySSE, { heartbeatInterval: config.SSE_HEARTBEAT_MS });
  await fastify.register(admin);
  await fastify.register(healthRoutes);
  await fastify.register(datasetRoutes, { prefix: '/v1/datasets' });
  await fastify.register(modelRoutes, { prefix: '/v1/models' });
  await fastify.register(aliasRoutes, { prefix: '/v1/aliases' });
  await fastify.register(baseRoutes, { prefix: '/v1/bases' });
  await fastify.register(jobRoutes, { prefix: '/v1/jobs' });
  await fastify.register(sweepRoutes, { prefix: '/v1/sweeps' });
  await fastify.register(workerRoutes, { prefix: '/v1/workers' });
  await fastify.register(webhookRoutes, { prefix: '/v1/webhooks' });
  await fastify.register(dashboardRoutes, { prefix: '/ui' });
}

export default fp(app, { name: 'finetuned' });
