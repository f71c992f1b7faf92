import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { RedisScript } from './redis-script.js';

const RELEASE = new RedisScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);

/**
 * Runs `work` while this process holds the lock `key`: a token of its own that expires after `ttlMs`, so that a
 * process that died holding it holds up the others no longer than that. Null, and nothing run, when another holds
 * it. Released only while still ours.
 */
export async function whileLocked<T>(
  redis: Redis,
  key: string,
  ttlMs: number,
  work: () => Promise<T>,
): Promise<T | null> {
  const token = randomUUID();
  if (!(await redis.set(key, token, 'PX', ttlMs, 'NX'))) return null;
  try {
    return await work();
  } finally {
    await RELEASE.run(redis, [key], [token]);
  }
}
