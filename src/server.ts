import closeWithGrace from 'close-with-grace';
import Fastify from 'fastify';
import { pathToFileURL } from 'node:url';
import app, { serverOptions } from './app.js';
import { loadConfig, readDotEnv, type Config } from './config.js';
import { loggerOptions } from './logger.js';
import { selectBackend } from './tf/backend.js';

/**
 * Starts the API: selects the TF.js backend, builds the app, listens, and closes gracefully on signals, then
 * runs `afterClose` (the launcher stops its children there).
 */
export async function startApi(
  config: Config = loadConfig(),
  afterClose: () => Promise<void> = async () => {},
  /** How long closing (and `afterClose`) may take before the process exits regardless. */
  graceMs = 10_000,
) {
  const fastify = Fastify(serverOptions(config, loggerOptions(config.LOG_LEVEL, 'api')));
  const backend = await selectBackend(config.TFJS_BACKEND, (kind, why) =>
    fastify.log.debug({ backend: kind, why }, 'TF.js backend unavailable'),
  );
  fastify.log.info({ backend }, 'TF.js backend selected');
  await fastify.register(app, { config, backend });
  closeWithGrace({ delay: graceMs }, async ({ err, signal }) => {
    if (err) fastify.log.error({ err }, 'closing after an error');
    else fastify.log.info({ signal }, 'closing');
    await fastify.close();
    await afterClose();
  });
  await fastify.listen({ port: config.PORT, host: config.HOST });
  return fastify;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  readDotEnv();
  startApi().catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  });
}
