import type { IncomingMessage, ServerResponse } from 'node:http';
import helmet from 'helmet';
import rateLimit from '@fastify/rate-limit';
import underPressure from '@fastify/under-pressure';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { ProblemError, unavailable } from '../errors.js';
import { redisKeysFor } from '../queue/catalogue.js';
import { sharedRateLimitStore } from './rate-limit-store.js';

const UNSHED = new Set(['/health', '/metrics']);
/** How often the event loop's delay is sampled for load shedding (under-pressure's default). */
const PRESSURE_SAMPLE_MS = 1_000;

/**
 * The headers helmet sets, with a policy for JSON and model files only (the documentation and dashboard pages set
 * their own): collected by running its middleware once.
 */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = securityHeaders();

/** The same, as the list a hook walks on every request. */
const HEADER_ENTRIES = Object.entries(SECURITY_HEADERS);

function securityHeaders(): Record<string, string> {
  const headers: Record<string, string> = {};
  const response = {
    setHeader: (name: string, value: unknown) => (headers[name.toLowerCase()] = String(value)),
    removeHeader: () => {},
    getHeader: () => undefined,
  };
  helmet({ contentSecurityPolicy: { directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] } } })(
    { headers: {} } as IncomingMessage,
    response as unknown as ServerResponse,
    () => {},
  );
  return headers;
}

/**
 * What keeps the API standing in front of many clients: helmet's security headers, a rate limit per API key shared by
 * every API instance through Redis, and load shedding when the event loop lags.
 */
export default fp(
  async function securityPlugin(app: FastifyInstance) {
    const { config } = app;
    // helmet's headers, worked out once: they are the same on every response, and helmet's middleware costs a
    // quarter of the API's throughput on small requests when it runs per request.
    app.addHook('onRequest', (_request, reply, done) => {
      for (const [name, value] of HEADER_ENTRIES) reply.header(name, value);
      done();
    });

    // Per key across every API instance, without a Redis round trip per request far below the limit.
    await app.register(rateLimit, {
      global: true,
      max: config.RATE_LIMIT_PER_MINUTE,
      timeWindow: 60_000,
      // After authentication (onRequest), before the body is read.
      hook: 'preParsing',
      store: sharedRateLimitStore(app.redis, redisKeysFor(config.QUEUE_PREFIX).rateLimit()),
      // With Redis unreachable, requests go through unlimited rather than fail.
      skipOnError: true,
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
      sampleInterval: PRESSURE_SAMPLE_MS,
      retryAfter: 5,
      // Liveness and metrics answer whatever the load: a busy API is not a dead one, and that is when it is watched.
      pressureHandler: async (request, _reply, type, value) => {
        if (UNSHED.has(request.routeOptions.url ?? '')) return;
        // A sampling window without one sample reads as an infinite delay; the loop was held for about a window,
        // which is no overload when the bound is longer (the delay itself is sampled once the loop turns again).
        if (
          type === 'eventLoopDelay' &&
          value === Infinity &&
          PRESSURE_SAMPLE_MS < config.MAX_EVENT_LOOP_DELAY_MS
        )
          return;
        throw unavailable('server_busy', 'the API is overloaded at the moment; retry shortly', 5);
      },
    });
  },
  { name: 'security', dependencies: ['config', 'redis'] },
);
