import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';

/**
 * A Redis connection. Workers block on Redis and must wait it out (`maxRetriesPerRequest: null`); the API is
 * a producer and fails fast so that a request does not hang while Redis is away.
 */
export function createRedis(url: string, role: 'worker' | 'producer', extra: RedisOptions = {}): Redis {
  return new Redis(url, {
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectionName: `finetuned-${role}`,
    ...extra,
  });
}

/** True when a Redis server answers PING at `url` within the timeout. */
export async function redisAnswers(url: string, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis(url, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
  });
  client.on('error', () => {});
  try {
    await client.connect();
    return (await client.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

async function onPath(command: string): Promise<string | undefined> {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    const candidate = path.join(dir, command);
    try {
      await fs.access(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/**
 * For a first look on one machine: when nothing answers at `url` (a local address) and `redis-server` is on the
 * PATH, starts one as a child process with its files under `dir`. Returns the child, or undefined when Redis
 * was already there; throws with instructions when neither works.
 */
export async function ensureLocalRedis(url: string, dir: string): Promise<ChildProcess | undefined> {
  if (await redisAnswers(url)) return undefined;
  const parsed = new URL(url);
  const local = ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  const binary = local ? await onPath('redis-server') : undefined;
  if (!binary) {
    throw new Error(
      `Redis does not answer at ${url}. Start one (apt-get install redis-server, or docker run -p 6379:6379 redis:7) ` +
        'or point REDIS_URL at yours.',
    );
  }
  await fs.mkdir(dir, { recursive: true });
  const port = parsed.port || '6379';
  const child = spawn(
    binary,
    [
      '--port',
      port,
      '--bind',
      '127.0.0.1',
      '--dir',
      dir,
      '--appendonly',
      'yes',
      '--appendfsync',
      'everysec',
      '--maxmemory-policy',
      'noeviction',
      '--save',
      '',
    ],
    // Its own process group, so that Ctrl-C does not stop it before the worker has drained.
    { stdio: 'ignore', detached: true },
  );
  for (let i = 0; i < 50; i++) {
    if (await redisAnswers(url, 200)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`started ${binary} on port ${port}, but it did not answer within 5 s`);
}
