import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { loadKeys, type KeyRing, type Principal, type Scope } from '../auth/api-keys.js';
import { ProblemError } from '../errors.js';
import { problems } from '../routes/schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The scope a key needs for this route; routes without one are public unless under /v1 or /admin. */
    scope?: Scope;
  }
  interface FastifyRequest {
    /** The key the request came with, once it is verified. */
    principal: Principal | null;
  }
}

/** Whether a route pattern needs a key (every /v1 and /admin route). */
const isProtected = (path: string) => /^\/(v1|admin)(\/|$|\?)/.test(path);

/** 401, with the challenge a client answers: Basic on the dashboard, so that a browser asks for the key. */
const unauthorized = (detail: string, browser: boolean) =>
  new ProblemError(
    401,
    'unauthorized',
    detail,
    {},
    { 'www-authenticate': browser ? 'Basic realm="finetuned", charset="UTF-8"' : 'Bearer realm="finetuned"' },
  );

/** The key a request presents: `Authorization: Bearer <key>`, or Basic with the key as password (for browsers). */
function presentedKey(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header) return undefined;
  const [, scheme, value] = /^(\S+)\s+(\S+)\s*$/.exec(header) ?? [];
  if (!value) return undefined;
  if (scheme?.toLowerCase() === 'bearer') return value.trim();
  if (scheme?.toLowerCase() === 'basic') {
    const decoded = Buffer.from(value, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon < 0 ? undefined : decoded.slice(colon + 1);
  }
  return undefined;
}

/**
 * API keys: every /v1 and /admin route needs `Authorization: Bearer <key>` whose key holds the route's scope
 * (`admin` holds all). The key decides the request's tenant. No key or an unknown one is 401; a missing scope 403.
 */
export default fp(
  async function authPlugin(app: FastifyInstance) {
    const { ring, generated } = await loadKeys({
      inline: app.config.API_KEYS,
      file: app.config.API_KEYS_FILE,
    });
    if (generated) {
      // Shown once: only its hash is kept.
      app.log.warn(
        { keysFile: generated.file },
        `no API key was configured, so one was made for the tenant 'default' with every scope: ${generated.key} ` +
          '(it is not shown again; its hash is in the keys file)',
      );
    }
    app.decorate('keyRing', ring);
    app.decorateRequest('principal', null);

    // Every protected route documents the errors of authentication, rate limits and load shedding.
    app.addHook('onRoute', (route) => {
      // Decided on the route pattern, never on the raw URL (which may be percent-encoded): every /v1 and /admin
      // route needs a key, `admin` unless it names its scope.
      const scope = route.config?.scope ?? (isProtected(route.url) ? 'admin' : undefined);
      if (!scope) return;
      route.config = { ...route.config, scope };
      // HEAD routes share their GET route's schema object: it is extended once.
      if (!route.schema || route.method === 'HEAD') return;
      const schema = route.schema as FastifySchema & { security?: object[]; description?: string };
      schema.response = { ...problems(401, 403, 429, 503), ...(schema.response as object) };
      schema.security = [{ bearerAuth: [] }];
      schema.description = [schema.description, `Needs the scope \`${scope}\`.`].filter(Boolean).join(' ');
    });

    app.addHook('onRequest', async (request) => {
      const { scope } = request.routeOptions.config;
      if (!scope) return;
      const key = presentedKey(request);
      const browser = request.routeOptions.url?.startsWith('/admin') ?? false;
      if (!key) throw unauthorized('send an API key as `Authorization: Bearer <key>`', browser);
      const principal = ring.verify(key);
      if (!principal) throw unauthorized('the API key is not valid', browser);
      request.principal = principal;
      request.tenant = principal.tenant;
      request.log = request.log.child({ keyId: principal.keyId, tenant: principal.tenant });
      if (!principal.scopes.has(scope) && !principal.scopes.has('admin'))
        throw new ProblemError(403, 'forbidden', `this API key lacks the scope '${scope}'`, { scope });
    });
  },
  { name: 'auth', dependencies: ['config'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    keyRing: KeyRing;
  }
}
