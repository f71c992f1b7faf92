import { randomBytes } from 'node:crypto';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import app, { serverOptions } from '../src/app.js';
import { hashKey, newKey } from '../src/auth/api-keys.js';
import { loadConfig, type Config } from '../src/config.js';
import { createRedis } from '../src/redis.js';
import { selectBackend, type BackendInfo } from '../src/tf/backend.js';

/** A bench run's own Redis key prefixes and DATA_DIR, and what closes them. */
export interface BenchRun {
  config: Config;
  prefix: string;
  /** Redis, for the bench's own reads. */
  admin: Redis;
  /** Headers that authenticate as the run's own admin key. */
  headers: { authorization: string };
  /** Called in reverse order by `cleanup`. */
  closers: Array<() => Promise<unknown>>;
  /** Closes everything, deletes every key under the run's prefixes and its DATA_DIR; once, however the run ends. */
  cleanup: () => Promise<void>;
}

/**
 * Starts a bench run under a fresh key prefix and temp DATA_DIR. `extraPrefixes` are further key prefixes the run
 * writes under and are deleted with it.
 */
export async function startBenchRun(
  name: string,
  overrides: Parameters<typeof loadConfig>[0] = {},
  extraPrefixes: (prefix: string) => string[] = () => [],
): Promise<BenchRun> {
  const prefix = `bench-${name}-${randomBytes(4).toString('hex')}`;
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), `finetuned-bench-${name}-`));
  const key = newKey();
  const keys = [{ id: 'bench', tenant: 'default', scopes: ['admin'], sha256: hashKey(key) }];
  const config = loadConfig({
    QUEUE_PREFIX: prefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    API_KEYS: JSON.stringify(keys),
    RATE_LIMIT_PER_MINUTE: 100_000_000,
    ...overrides,
  });
  const admin = createRedis(config, 'producer');
  const closers: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const close of closers.reverse()) await close().catch((error: unknown) => console.error(error));
      for (const under of [prefix, ...extraPrefixes(prefix)]) {
        let cursor = '0';
        do {
          const [next, keys] = await admin.scan(cursor, 'MATCH', `${under}:*`, 'COUNT', 1000);
          if (keys.length > 0) await admin.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      await admin.quit();
      await fsp.rm(dataDir, { recursive: true, force: true });
    })());
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  return { config, prefix, admin, headers: { authorization: `Bearer ${key}` }, closers, cleanup };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/** The API on a real port in this process, as `npm run start:api` builds it; closed with the run. */
export async function listenApi(
  run: BenchRun,
): Promise<{ server: FastifyInstance; base: string; backend: BackendInfo }> {
  const backend = await selectBackend(run.config.TFJS_BACKEND);
  const server = Fastify(serverOptions(run.config, false));
  await server.register(app, { config: run.config, backend });
  await server.listen({ port: 0, host: '127.0.0.1' });
  run.closers.push(() => server.close());
  return { server, base: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`, backend };
}
