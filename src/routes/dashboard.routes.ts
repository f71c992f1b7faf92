import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { existsSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Type } from 'typebox';
import { unavailable } from '../errors.js';

/**
 * The dashboard page's own policy: its scripts, styles and API calls from this origin only, never inline; images
 * also as data: URLs (dataset samples) and blob: URLs (a dropped image's preview).
 */
export const DASHBOARD_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

/** Vite's names (`index-B6IITNBt.js`): nothing that could climb out of the folder reaches the file system. */
const AssetParams = Type.Object({ file: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' }) });

/** Hashed file names change with their content: a year's caching is safe. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

/** web/dist beside package.json, whether this module runs from src/ (tsx) or from dist/src/ (compiled). */
export function defaultDashboardDir(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return path.join(dir, 'web', 'dist');
}

const notBuilt = () =>
  unavailable(
    'dashboard_not_built',
    'the dashboard has not been built: run `npm run build:ui` (or set DASHBOARD_DIR to a built one)',
    60,
  );

/**
 * The dashboard at /ui/: the files Vite built (web/dist), open to all (the data behind them needs a key). The page
 * is index.html for /ui/ and every client-side route under it; hashed assets are cached for a year. Without a
 * build, the page is a 503 saying how to make one, and start-up goes on.
 */
export default async function dashboardRoutes(fastify: FastifyInstance) {
  const root = fastify.config.DASHBOARD_DIR
    ? path.resolve(fastify.config.DASHBOARD_DIR)
    : defaultDashboardDir();
  const index = path.join(root, 'index.html');
  let built = existsSync(index);
  if (!built) fastify.log.warn({ root }, 'the dashboard is not built (npm run build:ui): /ui/ answers 503');
  // A build made after start-up is picked up: until then, each request looks again.
  const isBuilt = async () =>
    (built ||= await fs.access(index).then(
      () => true,
      () => false,
    ));

  await fastify.register(fastifyStatic, { root, serve: false, suppressWarning: true, index: false });
  // After the API's own headers (a parent's hook runs first): this policy replaces `default-src 'none'`.
  fastify.addHook('onRequest', async (_request, reply) => {
    reply.header('content-security-policy', DASHBOARD_CSP);
  });

  const page = async (reply: FastifyReply) => {
    if (!(await isBuilt())) throw notBuilt();
    // Always revalidated, so that a new build's asset names are seen at once.
    return reply.header('cache-control', 'no-cache').sendFile('index.html', { cacheControl: false });
  };
  const hidden = { schema: { hide: true } };
  fastify.get('/', hidden, (_request, reply) => page(reply));
  const asset = { schema: { hide: true, params: AssetParams } };
  fastify.get<{ Params: { file: string } }>('/assets/:file', asset, async (request, reply) => {
    if (!(await isBuilt())) throw notBuilt();
    return reply.sendFile(`assets/${request.params.file}`, { immutable: true, maxAge: ASSET_MAX_AGE_MS });
  });
  // Client-side routes (/ui/jobs/job_…) are the page too; the page's script picks the view.
  fastify.get('/*', hidden, (_request, reply) => page(reply));
}
