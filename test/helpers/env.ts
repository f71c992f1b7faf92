import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { hashKey } from '../../src/auth/api-keys.js';
import { loadConfig, type Config } from '../../src/config.js';

export const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/** The key every test app accepts: the tenant 'default' with every scope, `operator` included. */
export const TEST_KEY = 'ft_test-key-for-the-default-tenant';
export const TEST_AUTHORIZATION = `Bearer ${TEST_KEY}`;

/** `API_KEYS` for tests: the test key, and `extra` keys given as {key, tenant, scopes}. */
export function testKeys(
  extra: Array<{ id: string; key: string; tenant: string; scopes: string[] }> = [],
): string {
  return JSON.stringify([
    { id: 'test', tenant: 'default', scopes: ['admin', 'operator'], sha256: hashKey(TEST_KEY) },
    ...extra.map(({ id, key, tenant, scopes }) => ({ id, tenant, scopes, sha256: hashKey(key) })),
  ]);
}

/** One test file's isolated world: its own queue prefix in the shared Redis and its own data directory. */
export interface TestEnv {
  prefix: string;
  dataDir: string;
  config: Config;
  /** A plain client for looking at (and cleaning up) this file's keys. */
  redis: Redis;
  /** Deletes every Redis key under the prefix and the data directory, and closes the client. */
  cleanup: () => Promise<void>;
}

/** Keys under `prefix:`, found with SCAN so that other files' keys are never touched. */
export async function keysUnder(redis: Redis, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    keys.push(...batch);
    cursor = next;
  } while (cursor !== '0');
  return keys;
}

/** Creates a unique prefix (`test-<name>-<random>`), a fresh temp DATA_DIR and a config pointing at both. */
export async function createTestEnv(
  name: string,
  overrides: Partial<Record<keyof Config, string | number>> = {},
): Promise<TestEnv> {
  const prefix = `test-${name}-${randomBytes(4).toString('hex')}`;
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), `finetuned-${name}-`));
  const config = loadConfig(
    {
      QUEUE_PREFIX: prefix,
      DATA_DIR: dataDir,
      REDIS_URL,
      LOG_LEVEL: 'silent',
      API_KEYS: testKeys(),
      // Every epoch checkpointed, as the tests of checkpoints and resumes expect, however short the epochs.
      CHECKPOINT_MIN_INTERVAL_MS: 0,
      ...overrides,
    },
    {},
  );
  const redis = new Redis(REDIS_URL, { maxRetriesPerRequest: 1 });
  return {
    prefix,
    dataDir,
    config,
    redis,
    cleanup: async () => {
      const keys = await keysUnder(redis, prefix);
      if (keys.length > 0) await redis.unlink(...keys);
      await redis.quit();
      await fs.rm(dataDir, { recursive: true, force: true });
    },
  };
}
