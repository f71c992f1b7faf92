import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/** Request headers a browser page may send: the key, bodies, idempotency, and where an event stream goes on. */
const ALLOWED_HEADERS = ['authorization', 'content-type', 'accept', 'idempotency-key', 'last-event-id'];
/** Response headers a page may read beside the simple ones. */
const EXPOSED_HEADERS = ['x-model-id', 'x-request-id', 'retry-after', 'location', 'content-length'];

/** CORS_ORIGINS as a list: origins separated by commas or spaces, or `*` for any. */
export function corsOrigins(setting: string): string[] {
  return setting
    .split(/[\s,]+/)
    .map((origin) => origin.trim().replace(/\/+$/, ''))
    .filter((origin) => origin.length > 0);
}

/**
 * Cross-origin access for browser pages on the origins in CORS_ORIGINS (none by default, so no CORS headers at
 * all): preflights are answered before authentication (they carry no key), and the headers pages need to send a
 * key, read an event stream and load model files are allowed. Keys travel in `Authorization`, never in cookies, so
 * no credentials mode is needed.
 */
export default fp(
  async function corsPlugin(app: FastifyInstance) {
    const origins = corsOrigins(app.config.CORS_ORIGINS);
    if (origins.length === 0) return;
    await app.register(cors, {
      origin: origins.includes('*') ? '*' : origins,
      methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE'],
      allowedHeaders: ALLOWED_HEADERS,
      exposedHeaders: EXPOSED_HEADERS,
      maxAge: 600,
    });
  },
  { name: 'cors', dependencies: ['config'] },
);
