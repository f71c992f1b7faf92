import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Redis, type RedisOptions } from 'ioredis';
import type { Config } from './config.js';

/** The settings a Redis connection is made from. */
export type RedisSettings = Pick<
  Config,
  | 'REDIS_URL'
  | 'REDIS_TLS_CA_FILE'
  | 'REDIS_SENTINELS'
  | 'REDIS_SENTINEL_NAME'
  | 'REDIS_SENTINEL_USERNAME'
  | 'REDIS_SENTINEL_PASSWORD'
>;

const caFiles = new Map<string, Buffer>();

/** The CA file's contents, read once per process: every connection of a process trusts the same CA. */
function readCa(file: string): Buffer {
  let ca = caFiles.get(file);
  if (!ca) {
    try {
      ca = readFileSync(file);
    } catch (error) {
      throw new Error(`REDIS_TLS_CA_FILE: cannot read ${file} (${(error as Error).message})`);
    }
    caFiles.set(file, ca);
  }
  return ca;
}

/**
 * ioredis options for the settings: TLS when REDIS_URL is rediss:// (trusting REDIS_TLS_CA_FILE when given), and
 * with REDIS_SENTINELS the primary found through Sentinel, over TLS too when REDIS_URL is rediss://.
 */
export function redisOptions(settings: RedisSettings): RedisOptions {
  const url = new URL(settings.REDIS_URL);
  const options: RedisOptions = {
    username: url.username ? decodeURIComponent(url.username) : undefined,
    password: url.password ? decodeURIComponent(url.password) : undefined,
    db: url.pathname.length > 1 ? Number(url.pathname.slice(1)) : 0,
  };
  const tls =
    url.protocol === 'rediss:'
      ? { tls: settings.REDIS_TLS_CA_FILE ? { ca: readCa(settings.REDIS_TLS_CA_FILE) } : {} }
      : {};
  if (!settings.REDIS_SENTINELS) {
    return { ...options, ...tls, host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port || 6379) };
  }
  return {
    ...options,
    sentinels: settings.REDIS_SENTINELS.split(',').map((address) => {
      const colon = address.lastIndexOf(':');
      return {
        host: address.slice(0, colon).replace(/^\[|\]$/g, ''),
        port: Number(address.slice(colon + 1)),
      };
    }),
    name: settings.REDIS_SENTINEL_NAME,
    sentinelUsername: settings.REDIS_SENTINEL_USERNAME || undefined,
    sentinelPassword: settings.REDIS_SENTINEL_PASSWORD || undefined,
    ...tls,
    sentinelTLS: tls.tls,
    enableTLSForSentinelMode: tls.tls !== undefined,
  };
}

/** Where the settings point, for messages: the URL without credentials, or the Sentinels and the primary's name. */
export function describeRedis(settings: RedisSettings): string {
  if (settings.REDIS_SENTINELS)
    return `${settings.REDIS_SENTINEL_NAME} via Sentinel ${settings.REDIS_SENTINELS}`;
  const url = new URL(settings.REDIS_URL);
  url.username = '';
  url.password = '';
  return url.toString();
}

/**
 * A Redis connection. Workers block on Redis and must wait it out (`maxRetriesPerRequest: null`); the API is
 * a producer and fails fast so that a request does not hang while Redis is away.
 */
export function createRedis(
  settings: RedisSettings,
  role: 'worker' | 'producer',
  extra: RedisOptions = {},
): Redis {
  return new Redis({
    ...redisOptions(settings),
    maxRetriesPerRequest: role === 'worker' ? null : 1,
    enableOfflineQueue: role === 'worker',
    connectionName: `finetuned-${role}`,
    ...extra,
  });
}

/** True when Redis answers PING within the timeout. */
export async function redisAnswers(settings: RedisSettings, timeoutMs = 1000): Promise<boolean> {
  const client = new Redis({
    ...redisOptions(settings),
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    connectTimeout: timeoutMs,
    retryStrategy: () => null,
    sentinelRetryStrategy: () => null,
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

/** The path of an executable `command` on the PATH, or undefined when there is none. */
export async function onPath(command: string): Promise<string | undefined> {
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
 * For a first look on one machine: when nothing answers at REDIS_URL (a local address, no TLS, no Sentinel) and
 * `redis-server` is on the PATH, starts one as a child process with its files under `dir`. Returns the child, or
 * undefined when Redis was already there; throws with instructions when neither works.
 */
export async function ensureLocalRedis(
  settings: RedisSettings,
  dir: string,
): Promise<ChildProcess | undefined> {
  if (await redisAnswers(settings)) return undefined;
  const parsed = new URL(settings.REDIS_URL);
  const local =
    parsed.protocol === 'redis:' &&
    !settings.REDIS_SENTINELS &&
    ['127.0.0.1', 'localhost', '::1', '[::1]'].includes(parsed.hostname);
  const binary = local ? await onPath('redis-server') : undefined;
  if (!binary) {
    throw new Error(
      `Redis does not answer at ${describeRedis(settings)}. Start one (apt-get install redis-server, or docker run -p 6379:6379 redis:7) ` +
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
    if (await redisAnswers(settings, 200)) return child;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  child.kill();
  throw new Error(`started ${binary} on port ${port}, but it did not answer within 5 s`);
}
