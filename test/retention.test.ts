import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { DatasetStore, type Dataset } from '../src/datasets/dataset-store.js';
import type { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { JobLifecycle } from '../src/jobs/job-lifecycle.js';
import type { JobView } from '../src/jobs/job-service.js';
import { JobRetention, retentionMs } from '../src/jobs/job-retention.js';
import {
  QUEUES,
  redisKeysFor,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { FsStore } from '../src/store/fs-store.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, keysUnder, type TestEnv } from './helpers/env.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

const RETENTION_DAYS = 0.0001;
const TENANT = 'default';

/** Every value Redis holds under `key`, as text: the value, the members, the fields and their values. */
async function contents(redis: Redis, key: string): Promise<string[]> {
  const type = await redis.type(key);
  if (type === 'string') return [(await redis.get(key)) ?? ''];
  if (type === 'hash') return Object.entries(await redis.hgetall(key)).flat();
  if (type === 'set') return redis.smembers(key);
  if (type === 'zset') return redis.zrange(key, 0, -1);
  if (type === 'list') return redis.lrange(key, 0, -1);
  if (type === 'stream')
    return (await redis.xrange(key, '-', '+')).flatMap(([id, fields]) => [id, ...fields]);
  return [];
}

/**
 * What under `prefix` still names any of `ids`: keys by name, and keys by what they hold (index members, hash
 * fields, values). BullMQ's own queue event log is left out: a capped stream of the queue's recent events (10,000
 * by default), not a record of any job.
 */
async function traces(redis: Redis, prefix: string, ids: string[]): Promise<string[]> {
  const queueEvents = `${prefix}:${QUEUES.training}:events`;
  const found: string[] = [];
  for (const key of await keysUnder(redis, prefix)) {
    if (key === queueEvents) continue;
    const named = ids.filter((id) => key.includes(id));
    const held = (await contents(redis, key)).filter((text) => ids.some((id) => text.includes(id)));
    if (named.length > 0) found.push(key);
    else if (held.length > 0) found.push(`${key} holds ${held.join(', ').slice(0, 200)}`);
  }
  return found;
}

/** Waits until nothing under the prefix names any of `ids`; fails with what is left after a generous while. */
async function waitUntilGone(redis: Redis, prefix: string, ids: string[]): Promise<void> {
  const deadline = Date.now() + 120_000 + retentionMs(RETENTION_DAYS);
  for (;;) {
    const left = await traces(redis, prefix, ids);
    if (left.length === 0) return;
    assert.ok(Date.now() < deadline, `still in Redis:\n${left.join('\n')}`);
    await sleep(200);
  }
}

describe('retention of finished jobs (real worker, real Redis, short JOB_RETENTION_DAYS)', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker | undefined;
  let digits: Dataset;
  const mlp = { architecture: { type: 'mlp', hiddenUnits: [4] }, hyperparameters: { epochs: 1 } };
  const idempotencyKey = 'retention-first-job';

  const submit = async (body: Record<string, unknown>, headers: Record<string, string> = {}) => {
    const response = await fastify.inject({ method: 'POST', url: '/v1/jobs', payload: body, headers });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<JobView>();
  };
  const cancel = async (id: string) =>
    (await fastify.inject({ method: 'POST', url: `/v1/jobs/${id}/cancel` })).json<JobView>();
  const get = (url: string) => fastify.inject({ method: 'GET', url });
  const checkpointDir = (id: string) => path.join(env.dataDir, 'tenants', TENANT, 'jobs', id, 'checkpoints');

  before(async () => {
    env = await createTestEnv('retention', {
      JOB_RETENTION_DAYS: RETENTION_DAYS,
      JOB_RETENTION_SWEEP_MS: 200,
      TENANT_MAX_ACTIVE_JOBS: 100,
    });
    fastify = await buildApp(env.config);
    digits = await uploadCsv(fastify, digitsCsv({ labels: ['0', '1', '2'], perClass: 8 }), 'digits');
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  it('succeeded, failed and cancelled jobs leave nothing in Redis once past it; models, datasets and aliases stay', async () => {
    const doomed = await uploadCsv(fastify, digitsCsv({ labels: ['0', '1'], perClass: 4 }), 'doomed');
    const succeeding = [await submit({ dataset: digits.id, ...mlp }, { 'idempotency-key': idempotencyKey })];
    for (let i = 0; i < 17; i++) succeeding.push(await submit({ dataset: digits.id, seed: i, ...mlp }));
    const failing = [];
    for (let i = 0; i < 4; i++) failing.push(await submit({ dataset: doomed.id, ...mlp }));
    const cancelledQueued = [];
    for (let i = 0; i < 5; i++) {
      const job = await submit({ dataset: digits.id, ...mlp });
      assert.equal((await cancel(job.id)).status, 'cancelled');
      cancelledQueued.push(job);
    }
    const long = await submit({ dataset: digits.id, ...mlp, hyperparameters: { epochs: 1000 } });
    // Gone behind the API's back: those jobs fail when they run.
    await new DatasetStore(new FsStore(env.dataDir)).delete(TENANT, doomed.id);

    worker = await startWorker(env.config);
    const views = new Map<string, JobView>();
    for (const job of [...succeeding, ...failing]) views.set(job.id, await waitForJob(fastify, job.id));
    for (const job of succeeding) assert.equal(views.get(job.id)!.status, 'succeeded');
    for (const job of failing) assert.equal(views.get(job.id)!.status, 'failed');
    for (;;) {
      const now = (await get(`/v1/jobs/${long.id}`)).json<JobView>();
      assert.equal(now.status === 'queued' || now.status === 'running', true, now.status);
      if (now.status === 'running') break;
      await sleep(20);
    }
    assert.equal(
      (await fastify.inject({ method: 'POST', url: `/v1/jobs/${long.id}/cancel` })).statusCode,
      202,
    );
    assert.equal((await waitForJob(fastify, long.id)).status, 'cancelled');
    await worker.close();
    worker = undefined;

    const modelId = views.get(succeeding[0]!.id)!.modelId!;
    const alias = await fastify.inject({ method: 'PUT', url: '/v1/aliases/kept', payload: { modelId } });
    assert.equal(alias.statusCode, 201, alias.body);
    const keys = redisKeysFor(env.prefix);
    const ids = [...succeeding, ...failing, ...cancelledQueued, long].map((job) => job.id);
    assert.equal(ids.length, 28);
    // The last job to end is still on record: its log, its BullMQ job, its entries in the indexes.
    const before = await traces(env.redis, env.prefix, [long.id]);
    assert.ok(
      before.some((key) => key === keys.events(long.id)),
      before.join('\n'),
    );
    assert.ok(
      before.some((key) => key.startsWith(keys.endedJobs())),
      before.join('\n'),
    );

    await waitUntilGone(env.redis, env.prefix, ids);

    for (const id of ids) {
      assertProblem(await get(`/v1/jobs/${id}`), 404, 'job_not_found');
      await assert.rejects(fs.access(checkpointDir(id)), { code: 'ENOENT' });
    }
    assert.deepEqual((await get('/v1/jobs')).json<{ items: JobView[] }>().items, []);
    for (const job of succeeding) {
      const model = await get(`/v1/models/${views.get(job.id)!.modelId}`);
      assert.equal(model.statusCode, 200, model.body);
    }
    assert.equal((await get(`/v1/datasets/${digits.id}`)).statusCode, 200);
    assert.equal((await get('/v1/aliases/kept')).json<{ modelId: string }>().modelId, modelId);
    assert.equal(await env.redis.hexists(keys.aliases(TENANT), 'kept'), 1);
    assert.equal(await env.redis.hexists(keys.storedResources(TENANT), modelId), 1);
  });

  it('a job that has not ended is kept however old; a retried Idempotency-Key makes a job anew', async () => {
    // The key went before its job did: the same request makes a new job, which stays queued (no worker runs).
    const kept = await submit({ dataset: digits.id, ...mlp }, { 'idempotency-key': idempotencyKey });
    assert.equal(kept.status, 'queued');
    const queuedAt = Date.now();
    const other = await submit({ dataset: digits.id, ...mlp });
    assert.equal((await cancel(other.id)).status, 'cancelled');
    // A checkpoint left in the store by a finished job goes with it.
    await fs.mkdir(checkpointDir(other.id), { recursive: true });
    await fs.writeFile(path.join(checkpointDir(other.id), 'e000001-b000000.json'), '{}');

    // The cancelled job ended after the queued one was submitted: once it is gone, a sweep ran with the queued
    // one past the retention too.
    await waitUntilGone(env.redis, env.prefix, [other.id]);
    assert.ok(Date.now() - queuedAt > retentionMs(RETENTION_DAYS));
    await assert.rejects(fs.access(checkpointDir(other.id)), { code: 'ENOENT' });

    const view = (await get(`/v1/jobs/${kept.id}`)).json<JobView>();
    assert.equal(view.status, 'queued');
    const keys = redisKeysFor(env.prefix);
    const { redis } = env;
    assert.equal(await redis.exists(keys.events(kept.id), keys.status(kept.id)), 2);
    assert.equal(await redis.exists(`${env.prefix}:${QUEUES.training}:${kept.id}`), 1);
    assert.notEqual(await redis.zscore(keys.tenantJobs(TENANT), kept.id), null);
    assert.notEqual(await redis.zscore(keys.activeJobs(TENANT), kept.id), null);
    assert.equal(await redis.sismember(keys.resourceJobs(TENANT, 'dataset', digits.id), kept.id), 1);
    assert.equal(await redis.zscore(keys.endedJobs(), kept.id), null);
  });
});

describe('a retention sweep, job by job (real Redis and BullMQ)', () => {
  let env: TestEnv;
  let queue: Queue<TrainingPayload, TrainingResultValue>;
  let lifecycle: JobLifecycle;
  let serial = 0;

  before(async () => {
    env = await createTestEnv('retention-sweep');
    queue = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
      connection: env.redis,
      prefix: env.prefix,
    });
    lifecycle = new JobLifecycle(env.redis, env.prefix);
  });
  after(async () => {
    await queue?.close();
    await env?.cleanup();
  });

  /** Jobs cancelled before they ran, one after the other: their record, their log and the tenant's index. */
  async function cancelledJobs(count: number): Promise<string[]> {
    const keys = redisKeysFor(env.prefix);
    const ids = Array.from({ length: count }, () => `job_sweep_${String(serial++).padStart(4, '0')}`);
    for (const id of ids) {
      const data = { tenant: TENANT, spec: { dataset: 'ds_x', validation: { split: 0.2 } } };
      await env.redis.hset(keys.cancelled(), id, JSON.stringify({ data }));
      await env.redis.zadd(keys.tenantJobs(TENANT), 0, id);
      await lifecycle.transition({ id, tenant: TENANT }, 'queued');
      await lifecycle.transition({ id, tenant: TENANT }, 'cancelled');
    }
    return ids;
  }
  const onRecord = async (ids: string[]) => {
    const keys = redisKeysFor(env.prefix);
    const kept = [];
    for (const id of ids) if ((await env.redis.zscore(keys.endedJobs(), id)) !== null) kept.push(id);
    return kept;
  };
  const retention = (checkpoints: Pick<CheckpointStore, 'deleteAll'>, sweepBudgetMs?: number) =>
    new JobRetention({
      queue,
      redis: env.redis,
      prefix: env.prefix,
      checkpoints: checkpoints as CheckpointStore,
      retentionMs: 1000,
      ...(sweepBudgetMs === undefined ? {} : { sweepBudgetMs }),
    });
  const later = () => Date.now() + 24 * 3600 * 1000;

  it('a job that cannot be removed is passed over: the others go, and the sweep says which one stayed', async () => {
    const [stuck, ...others] = (await cancelledJobs(4)) as [string, ...string[]];
    const sweeper = retention({
      deleteAll: async (_tenant, id) => {
        if (id === stuck) throw new Error('the store refused');
      },
    });
    await assert.rejects(sweeper.sweep(later()), (error: Error) => {
      assert.match(
        error.message,
        new RegExp(`1 finished jobs could not be removed \\(3 were\\); job ${stuck}`),
      );
      return true;
    });
    assert.deepEqual(await onRecord([stuck, ...others]), [stuck]);
    for (const id of others) assertGone(await traces(env.redis, env.prefix, [id]), id);
  });

  it('a sweep past its time hands on after the job it is removing, not after a whole round', async () => {
    const keys = redisKeysFor(env.prefix);
    await env.redis.unlink(keys.endedJobs(), keys.cancelled());
    const ids = await cancelledJobs(3);
    // Each removal takes longer than the sweep may run.
    const sweeper = retention({ deleteAll: () => sleep(20) }, 1);
    for (let left = ids.length; left > 0; left--) {
      assert.equal(await sweeper.sweep(later()), 1);
      assert.equal((await onRecord(ids)).length, left - 1);
    }
    assert.equal(await sweeper.sweep(later()), 0);
  });
});

/** Asserts that nothing in Redis names the job. */
function assertGone(left: string[], id: string): void {
  assert.deepEqual(left, [], `${id} still in Redis:\n${left.join('\n')}`);
}
