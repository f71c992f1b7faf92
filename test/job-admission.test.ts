import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { JobAdmission } from '../src/jobs/job-admission.js';
import { JobEvents } from '../src/jobs/job-events.js';
import { JobLifecycle } from '../src/jobs/job-lifecycle.js';
import { resolveJobSpec } from '../src/jobs/job-spec.js';
import { ResourceGuard } from '../src/jobs/resource-guard.js';
import {
  QUEUES,
  redisKeysFor,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { TenantQuotas } from '../src/quotas/tenant-quotas.js';
import { createTestEnv, keysUnder, type TestEnv } from './helpers/env.js';

/** Every key under the prefix with what it holds, in a form two readings can be compared in. */
async function snapshot(redis: Redis, prefix: string): Promise<Record<string, unknown>> {
  const read: Record<string, (key: string) => Promise<unknown>> = {
    string: (key) => redis.get(key),
    set: async (key) => (await redis.smembers(key)).sort(),
    zset: (key) => redis.zrange(key, 0, -1),
    hash: (key) => redis.hgetall(key),
    stream: (key) => redis.xrange(key, '-', '+'),
    list: (key) => redis.lrange(key, 0, -1),
  };
  const held: Record<string, unknown> = {};
  for (const key of (await keysUnder(redis, prefix)).sort()) {
    const type = await redis.type(key);
    held[key] = { type, value: await read[type]!(key) };
  }
  return held;
}

describe('job admission', () => {
  let env: TestEnv;
  let queue: Queue<TrainingPayload, TrainingResultValue>;
  let connection: Redis;
  let admission: JobAdmission;
  const spec = (dataset: string) =>
    resolveJobSpec(
      { dataset, architecture: { type: 'mlp', hiddenUnits: [4] }, hyperparameters: { epochs: 1 } },
      () => 1,
    );

  before(async () => {
    env = await createTestEnv('job-admission');
    const { redis, prefix } = env;
    connection = redis.duplicate();
    queue = new Queue(QUEUES.training, { connection, prefix });
    // The queue writes its own keys once, on connecting: before the readings compared below.
    await queue.waitUntilReady();
    const limits = { maxActiveJobs: 10, maxStoredBytes: 1_000_000 };
    admission = new JobAdmission({
      redis,
      keys: redisKeysFor(prefix),
      guard: new ResourceGuard(queue, redis, prefix),
      lifecycle: new JobLifecycle(redis, prefix),
      events: new JobEvents(redis, prefix),
      quotas: new TenantQuotas(redis, queue, prefix, limits),
    });
  });

  after(async () => {
    await queue?.close();
    connection?.disconnect();
    await env?.cleanup();
  });

  it('undoing a job that never reached the queue leaves Redis as it was before its admission', async () => {
    // Another job of the tenant on the same dataset stays admitted throughout: the undo removes only its own.
    const first = await admission.admit('acme', 'job_first', spec('ds_shared'));
    assert.equal(first.place, 1);
    await first.told;
    const before = await snapshot(env.redis, env.prefix);

    const second = await admission.admit('acme', 'job_second', spec('ds_shared'));
    assert.equal(second.place, 2, 'queued behind the first');
    await second.told;
    assert.notDeepEqual(await snapshot(env.redis, env.prefix), before, 'the admission wrote');
    await admission.undo('acme', 'job_second', spec('ds_shared'));
    assert.deepEqual(await snapshot(env.redis, env.prefix), before);
  });
});
