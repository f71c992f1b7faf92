import type { FastifyInstance, FastifyRequest, FastifySchema } from 'fastify';
import fp from 'fastify-plugin';
import { holdsScope, loadKeys, type KeyRing, type Principal, type Scope } from '../auth/api-keys.js';
import { badRequest, ProblemError } from '../errors.js';
import { problems } from '../routes/schemas.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * The scope a key needs for this route (any one of them, for a list); routes without one are public unless
     * under /v1 or /admin.
     */
    scope?: Scope | readonly Scope[];
  }
  interface FastifyRequest {
    /** The key the request came with, once it is verified. */
    principal: Principal | null;
  }
}

/** How many Authorization headers came: Node keeps only the first of several, so the raw list is counted. */
function authorizationHeaders(request: FastifyRequest): number {
  const raw = request.raw.rawHeaders;
  let count = 0;
  for (let i = 0; i < raw.length; i += 2)
    if (raw[i]!.length === 13 && raw[i]!.toLowerCase() === 'authorization') count++;
  return count;
}

/**
 * The scope a route pattern needs when it names none: `operator` under /admin (the queue dashboard), `admin`
 * under /v1; none for open routes.
 */
function defaultScope(path: string): Scope | undefined {
  if (/^\/admin(\/|$|\?)/.test(path)) return 'operator';
  if (/^\/v1(\/|$|\?)/.test(path)) return 'admin';
  return undefined;
}

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
function presentedKey(header: string | undefined): string | undefined {
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

/** Whether the request is for the dashboard, which a browser opens: its 401 asks for Basic credentials. */
const fromBrowser = (request: FastifyRequest) => request.routeOptions.url?.startsWith('/admin') ?? false;

/** Verifies the key of a request to a route that needs a scope; throws the problem that answers it otherwise. */
function authenticate(ring: KeyRing, request: FastifyRequest): void {
  const { scope } = request.routeOptions.config;
  if (!scope) return;
  if (authorizationHeaders(request) > 1)
    throw badRequest('duplicate_authorization', 'send one Authorization header, not several', {
      field: '/headers/authorization',
    });
  const key = presentedKey(request.headers.authorization);
  if (!key) throw unauthorized('send an API key as `Authorization: Bearer <key>`', fromBrowser(request));
  const principal = ring.verify(key);
  if (!principal) throw unauthorized('the API key is not valid', fromBrowser(request));
  request.principal = principal;
  request.tenant = principal.tenant;
  request.log = request.log.child({ keyId: principal.keyId, tenant: principal.tenant });
  const held =
    typeof scope === 'string' ? holdsScope(principal, scope) : scope.some((s) => holdsScope(principal, s));
  if (!held) {
    const scopes = typeof scope === 'string' ? [scope] : scope;
    throw new ProblemError(403, 'forbidden', `this API key lacks the scope '${scopes.join("' or '")}'`, {
      scope: scopes[0],
    });
  }
}

/**
 * API keys: every /v1 and /admin route needs `Authorization: Bearer <key>` whose key holds the route's scope
 * (`admin` holds all but `operator`). The key decides the request's tenant. No key or an unknown one is 401; a missing
 * scope 403; several Authorization headers 400.
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
    // `Expect: 100-continue` is answered only for a valid key: others get their 401 without being asked for
    // the body. Which scope the route needs is checked once the request is routed.
    app.server.on('checkContinue', (req, res) => {
      const key = presentedKey(req.headers.authorization);
      if (key && ring.verify(key)) res.writeContinue();
      app.server.emit('request', req, res);
    });
    app.decorateRequest('principal', null);

    // Every protected route documents the errors of authentication, rate limits and load shedding.
    app.addHook('onRoute', (route) => {
      // Decided on the route pattern, never on the raw URL (which may be percent-encoded): every /v1 and /admin
      // route needs a key, of the scope it names or else its default one.
      const scope = route.config?.scope ?? defaultScope(route.url);
      if (!scope) return;
      route.config = { ...route.config, scope };
      // HEAD routes share their GET route's schema object: it is extended once.
      if (!route.schema || route.method === 'HEAD') return;
      const schema = route.schema as FastifySchema & { security?: object[]; description?: string };
      schema.response = { ...problems(401, 403, 429, 503), ...(schema.response as object) };
      schema.security = [{ bearerAuth: [] }];
      const needed = (typeof scope === 'string' ? [scope] : scope).map((s) => `\`${s}\``).join(' or ');
      schema.description = [schema.description, `Needs the scope ${needed}.`].filter(Boolean).join(' ');
    });

    // A hook with a callback, not a promise: it runs on every request. What `authenticate` throws is the reply.
    app.addHook('onRequest', (request, _reply, done) => {
      authenticate(ring, request);
      done();
    });
  },
  { name: 'auth', dependencies: ['config'] },
);

declare module 'fastify' {
  interface FastifyInstance {
    keyRing: KeyRing;
  }
}
