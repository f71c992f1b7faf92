import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Redis } from 'ioredis';
import { conflict, unprocessable } from '../errors.js';
import { newId, type IdKind } from '../ids.js';
import { redisKeysFor } from '../queue/catalogue.js';
import { RedisScript } from '../redis-script.js';

/** How long a request waits for another one with the same Idempotency-Key to create its job. */
const IDEMPOTENCY_WAIT_MS = 10_000;
/** A claim on an Idempotency-Key lasts this long until its job is queued, so a crashed request frees it soon. */
const IDEMPOTENCY_LEASE_SECONDS = 30;

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** JSON with object keys sorted, so equal requests have equal text whatever order their keys came in. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

// Deletes a key only while it still holds the value this request put there.
const DELETE_IF_OURS = new RedisScript(
  `if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end return 0`,
);

/** What an idempotent submission needs: to make a job under an id, and to read one made before. */
export interface IdempotentCreation<T> {
  create: (id: string) => Promise<T>;
  existing: (id: string) => Promise<T | undefined>;
}

/**
 * Creates at most one job per tenant and Idempotency-Key: the same key and body give the job the first request
 * made (`created` false), the same key with another body is a 422; of concurrent requests with one key, one
 * makes the job and the others wait for it (a 409 if it takes too long).
 */
export async function createOnce<T>(
  redis: Redis,
  where: { prefix: string; tenant: string; ttlSeconds: number },
  idempotencyKey: string,
  request: unknown,
  creation: IdempotentCreation<T>,
  /** What is created: a job, or a sweep (its id kind). */
  kind: Extract<IdKind, 'job' | 'swp'> = 'job',
): Promise<{ job: T; created: boolean }> {
  const key = redisKeysFor(where.prefix).idempotency(where.tenant, sha256(idempotencyKey));
  const fingerprint = sha256(canonicalJson(request));
  const deadline = Date.now() + IDEMPOTENCY_WAIT_MS;
  while (Date.now() < deadline) {
    const id = newId(kind);
    const claim = JSON.stringify({ fingerprint, jobId: id });
    if (await redis.set(key, claim, 'EX', IDEMPOTENCY_LEASE_SECONDS, 'NX')) {
      let job: T;
      try {
        job = await creation.create(id);
      } catch (error) {
        // A request that made no job leaves the key free for a corrected retry.
        await DELETE_IF_OURS.run(redis, [key], [claim]);
        throw error;
      }
      await redis.set(key, claim, 'EX', where.ttlSeconds);
      return { job, created: true };
    }
    const stored = await redis.get(key);
    if (!stored) continue;
    const first = JSON.parse(stored) as { fingerprint: string; jobId: string };
    if (first.fingerprint !== fingerprint) {
      throw unprocessable(
        'idempotency_key_reused',
        'this Idempotency-Key was used with a different request body; use a new key for a new job',
        { field: 'Idempotency-Key' },
      );
    }
    const job = await creation.existing(first.jobId);
    if (job) return { job, created: false };
    await sleep(25);
  }
  throw conflict(
    'idempotency_in_progress',
    'a request with this Idempotency-Key is still being processed; retry shortly',
    { field: 'Idempotency-Key' },
  );
}
