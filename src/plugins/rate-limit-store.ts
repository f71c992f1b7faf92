import type { Redis } from 'ioredis';

type Callback = (error: Error | null, result?: { current: number; ttl: number }) => void;

interface Counter {
  window: number;
  /** The key's count in Redis when this process last heard it, its own flushed requests included. */
  known: number;
  /** This process's requests not yet added in Redis. */
  pending: number;
}

/** How often counts far below their limit reach Redis. */
const FLUSH_MS = 50;

/**
 * A store for @fastify/rate-limit that counts per key in fixed windows in Redis, shared by every API instance,
 * without a Redis round trip on every request: far below the limit (under half of it), a request is counted here
 * and the counts go to Redis together every 50 ms; from half the limit on, each request is counted in Redis
 * before it is answered, so the limit itself holds exactly. The most another instance's requests can be missed
 * by is what it took in the last 50 ms while under half the limit.
 */
export function sharedRateLimitStore(redis: Redis, namespace: string) {
  const counters = new Map<string, Counter>();
  let flushing: NodeJS.Timeout | undefined;

  const redisKey = (key: string, window: number) => `${namespace}${key}:${window}`;

  /** Adds the pending count in Redis; `known` becomes the total there. */
  const push = async (key: string, counter: Counter, timeWindow: number): Promise<void> => {
    const pending = counter.pending;
    counter.pending = 0;
    const name = redisKey(key, counter.window);
    const [[error, total]] = (await redis.multi().incrby(name, pending).pexpire(name, timeWindow).exec()) as [
      [Error | null, number],
    ];
    if (error) {
      counter.pending += pending;
      throw error;
    }
    counter.known = Math.max(counter.known, total);
  };

  const flush = (timeWindow: number) => {
    flushing = undefined;
    for (const [key, counter] of counters) {
      if (counter.pending === 0) {
        // Quiet keys of past windows are forgotten.
        if (counter.window < Math.floor(Date.now() / timeWindow)) counters.delete(key);
        continue;
      }
      push(key, counter, timeWindow).catch(() => {
        // Redis is unreachable: the counts stay pending and go with a later flush.
      });
    }
  };

  return class SharedRateLimitStore {
    incr(key: string, callback: Callback, timeWindow: number, max: number): void {
      const now = Date.now();
      const window = Math.floor(now / timeWindow);
      let counter = counters.get(key);
      if (!counter || counter.window !== window) {
        counter = { window, known: 0, pending: 0 };
        counters.set(key, counter);
      }
      counter.pending += 1;
      const ttl = (window + 1) * timeWindow - now;
      const current = counter.known + counter.pending;
      if (current * 2 < max) {
        flushing ??= setTimeout(() => flush(timeWindow), FLUSH_MS).unref();
        return callback(null, { current, ttl });
      }
      const exact = counter;
      push(key, exact, timeWindow).then(
        () => callback(null, { current: exact.known, ttl }),
        (error: unknown) => callback(error as Error),
      );
    }

    child(): SharedRateLimitStore {
      return this;
    }
  };
}
