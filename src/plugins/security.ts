import helmet from '@fastify/helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError, unavailable } from '../errors.js';

const UNSHED = new Set(['/health', '/metrics']);

/**
 * What keeps the API standing in front of many clients: security headers, a rate limit per API key shared by
 * every API instance through Redis, and load shedding when the event loop lags.
 */
export default fp(
  async function securityPlugin(app: FastifyInstance) {
    const { config } = app;
    await app.register(helmet, {
      global: true,
      // JSON and model files only; the documentation and dashboard pages set their own policies.
      contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } },
    });

    await app.register(rateLimit, {
      global: true,
      max: config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      // After authentication (onRequest), before the body is read.
      hook: 'preParsing',
      redis: app.redis,
      // With Redis unreachable, requests go through unlimited rather than fail.
      skipOnError: true,
      nameSpace: `${config.QUEUE_PREFIX}:ratelimit:`,
      // Open routes (health, readiness, metrics, docs) are not limited. Requests without a valid key never get here:
      // authentication answers them first, at no more cost than a hash.
      allowList: (request) => request.routeOptions.config.scope === undefined,
      keyGenerator: (request) => (request.principal ? `key:${request.principal.keyId}` : `ip:${request.ip}`),
      errorResponseBuilder: (_request, context) =>
        new ProblemError(
          429,
          'rate_limited',
          `this API key made more than ${context.max} requests in a minute; retry in ${Math.ceil(context.ttl / 1000)} s`,
          { limit: context.max },
        ),
    });

    await app.register(underPressure, {
      maxEventLoopDelay: config.MAX_EVENT_LOOP_DELAY_MS,
      retryAfter: 5,
      // Liveness and metrics answer whatever the load: a busy API is not a dead one, and that is when it is watched.
      pressureHandler: async (request) => {
        if (UNSHED.has(request.routeOptions.url ?? '')) return;
        throw unavailable('server_busy', 'the API is overloaded at the moment; retry shortly', 5);
      },
    });
  },
  { name: 'security', dependencies: ['config', 'redis'] },
);
