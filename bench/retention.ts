/**
 * `npm run bench:retention`: the Redis memory finished jobs hold, and what is left of it once they are past
 * JOB_RETENTION_DAYS.
 * 1. One real job: submitted through the API's job service (the API runs in this process), trained by the real worker (inline, mlp
 *    [8], BENCH_EPOCHS epochs, default 10, on the bundled digits). Its log, progress and result are the template.
 * 2. BENCH_JOBS (default 1000) jobs submitted the same way; every tenth cancelled while queued (the API's cancel),
 *    the others run by a BullMQ worker whose processor replays the template through the job lifecycle: the keys
 *    of a real job, checked against the real one's, and its sizes, without training each.
 * 3. One sweep, as at a time past the retention.
 * Redis's used_memory (INFO memory) before, after finishing and after the sweep, per thousand jobs; beside it the
 * MEMORY USAGE of the run's own keys, which other clients of the same Redis do not move. No Idempotency-Keys: they
 * expire on their own. Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Worker, type Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import { listenApi, startBenchRun } from './harness.js';
import { parseCsv } from '../src/datasets/dataset-parser.js';
import { JobEvents, type JobEvent } from '../src/jobs/job-events.js';
import { JobLifecycle } from '../src/jobs/job-lifecycle.js';
import { modelIdOfJob } from '../src/jobs/job-outputs.js';
import { JobRetention, retentionMs } from '../src/jobs/job-retention.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import {
  QUEUES,
  redisKeysFor,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { countStoredModel, releaseJobSlot } from '../src/quotas/tenant-quotas.js';
import { createRedis, describeRedis } from '../src/redis.js';
import { startTrainer } from '../workers/trainer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 10);
const CONCURRENCY = 16;
const TENANT = 'default';

// The API's own sweeps are left out (hourly): the bench sweeps once, when it measures.
const run = await startBenchRun('retention', {
  TENANT_MAX_ACTIVE_JOBS: JOBS + 10,
  JOB_RETENTION_SWEEP_MS: 3_600_000,
  TRAINING_ISOLATION: 'inline',
});
const { config, prefix, admin, closers, cleanup } = run;
const keys = redisKeysFor(prefix);

/** Runs `task(i)` for i < n with at most `concurrency` in flight. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
}

/** The API's job service, queue and datasets, and a retention over its keys that the bench runs itself. */
type Parts = Pick<FastifyInstance, 'jobs' | 'datasets'> & {
  queue: Queue<TrainingPayload, TrainingResultValue>;
  retention: JobRetention;
};

/** Every key under the prefix: its name and MEMORY USAGE (all elements counted). */
async function keysWithSizes(redis: Redis): Promise<Map<string, number>> {
  const sizes = new Map<string, number>();
  let cursor = '0';
  do {
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    for (const key of batch) sizes.set(key, (await redis.memory('USAGE', key, 'SAMPLES', 0)) ?? 0);
    cursor = next;
  } while (cursor !== '0');
  return sizes;
}

/**
 * A job's footprint, as forms: the keys that name it, and the keys that hold it (index members, hash fields,
 * values, its model's id), its id written `<id>`. Two jobs that finished alike have equal footprints.
 */
async function footprint(redis: Redis, keys: Map<string, number>, id: string): Promise<string[]> {
  const ulid = id.slice('job_'.length);
  const forms: string[] = [];
  for (const key of keys.keys()) {
    const form = key.replaceAll(id, '<id>').slice(prefix.length);
    if (key.includes(ulid)) forms.push(form);
    else if ((await contentsOf(redis, key)).some((text) => text.includes(ulid)))
      forms.push(`${form} holds it`);
  }
  return forms.filter((form) => form !== `:${QUEUES.training}:events holds it`).sort();
}

async function contentsOf(redis: Redis, key: string): Promise<string[]> {
  const type = await redis.type(key);
  if (type === 'string') return [(await redis.get(key)) ?? ''];
  if (type === 'hash') return Object.entries(await redis.hgetall(key)).flat();
  if (type === 'set') return redis.smembers(key);
  if (type === 'zset') return redis.zrange(key, 0, -1);
  if (type === 'list') return redis.lrange(key, 0, -1);
  return [];
}

/** What a real job wrote: its log, its last progress and its result. */
interface Template {
  events: JobEvent[];
  progress: object;
  result: TrainingResultValue;
}

/** A worker whose processor replays the template job through the lifecycle, as the real processor writes it. */
function replayWorker(connection: Redis, template: Template) {
  const lifecycle = new JobLifecycle(connection, prefix);
  lifecycle.onEnded(({ tenant, jobId }) => releaseJobSlot(connection, prefix, tenant, jobId));
  const events = new JobEvents(connection, prefix);
  return new Worker<TrainingPayload, TrainingResultValue>(
    QUEUES.training,
    async (job, token) => {
      const ref = { id: job.id!, tenant: job.data.tenant };
      const lock = { key: keys.jobLock(ref.id), token: token! };
      const modelId = modelIdOfJob(ref.id);
      const result = { ...template.result, modelId };
      for (const event of template.events) {
        if (event.type !== 'status') {
          await events.append(ref.id, { type: event.type, data: event.data });
          continue;
        }
        const { status, ...data } = event.data as { status: 'running' | 'succeeded' };
        if (status === 'succeeded') {
          await job.updateProgress(template.progress);
          await countStoredModel(connection, prefix, ref.tenant, modelId, result.modelBytes);
          await lifecycle.transition(ref, status, { ...data, modelId }, { lock, unlessCancelled: true });
        } else if (status === 'running') await lifecycle.transition(ref, status, data, { lock });
      }
      return result;
    },
    { connection, prefix, concurrency: CONCURRENCY },
  );
}

async function waitForEnd(queue: Parts['queue'], id: string): Promise<string> {
  for (;;) {
    const state = await queue.getJobState(id);
    if (state === 'completed' || state === 'failed') return state;
    await sleep(20);
  }
}

const kib = (bytes: number) => `${(bytes / 1024).toFixed(1).padStart(9)} KiB`;
const perThousand = (bytes: number) => `${((bytes * 1000) / JOBS / 1024 / 1024).toFixed(2)} MiB`.padStart(16);
const total = (sizes: Map<string, number>) => [...sizes.values()].reduce((a, b) => a + b, 0);
/** A sweep as at a time past the retention. */
const sweepLater = (retention: JobRetention) =>
  retention.sweep(Date.now() + retentionMs(config.JOB_RETENTION_DAYS) + 1000);

/** A snapshot of memory: Redis's used_memory and the run's own keys with their sizes. */
async function measure() {
  const used = Number(/used_memory:(\d+)/.exec(await admin.info('memory'))![1]);
  return { used, keys: await keysWithSizes(admin) };
}
type Measure = Awaited<ReturnType<typeof measure>>;

/** Trains the real job and takes its template and footprint; then sweeps it and checks that nothing is left. */
async function realJob(parts: Parts, request: JobRequest) {
  const trainer = await startTrainer({ ...config, LOG_LEVEL: 'silent' });
  const id = (await parts.jobs.submit(TENANT, request)).job.id;
  const state = await waitForEnd(parts.queue, id);
  await trainer.close();
  if (state !== 'completed') throw new Error(`the real job ${id} failed`);
  const job = (await parts.queue.getJob(id))!;
  const template: Template = {
    events: await new JobEvents(admin, prefix).read(id, '0', 10_000),
    progress: job.progress as object,
    result: job.returnvalue,
  };
  const keys = await keysWithSizes(admin);
  const forms = await footprint(admin, keys, id);
  await sweepLater(parts.retention);
  const left = (await footprint(admin, await keysWithSizes(admin), id)).filter(
    (f) => !/stored holds/.test(f),
  );
  if (left.length > 0) throw new Error(`the sweep left keys of the real job: ${left.join(', ')}`);
  return { id, template, forms, sizes: [...keys].filter(([key]) => key.includes(id)) };
}

/** Submits the jobs, cancels every tenth while it is queued and has the rest replayed; their ids. */
async function finishJobs(parts: Parts, request: JobRequest, template: Template) {
  const ids: string[] = [];
  await pool(JOBS, CONCURRENCY, async (i) => {
    ids[i] = (await parts.jobs.submit(TENANT, { ...request, seed: i })).job.id;
  });
  await pool(JOBS / 10, CONCURRENCY, async (i) => void (await parts.jobs.cancel(TENANT, ids[i * 10]!)));
  const connection = createRedis(config, 'worker');
  closers.push(async () => connection.disconnect());
  const worker = replayWorker(connection, template);
  closers.push(() => worker.close());
  const replayed = ids.filter((_, i) => i % 10 !== 0);
  for (const id of replayed) await waitForEnd(parts.queue, id);
  await worker.close();
  return { ids, replayed };
}

function printMemory(before: Measure, finished: Measure, expired: Measure) {
  const header = ['used_memory', 'Δ per 1000 jobs', 'keys under prefix', 'Δ per 1000 jobs'];
  console.log(`  ${''.padEnd(26)} ${header.map((h, i) => h.padStart([13, 16, 18, 16][i]!)).join(' ')}`);
  const row = (label: string, { used, keys: sizes }: Measure) =>
    console.log(
      `  ${label.padEnd(26)} ${kib(used)} ${perThousand(used - before.used)} ` +
        `${kib(total(sizes)).padStart(18)} ${perThousand(total(sizes) - total(before.keys))}`,
    );
  row('before', before);
  row('after finishing', finished);
  row('after expiry (one sweep)', expired);
}

try {
  // The API first: the run's own connection is up by then.
  const { server } = await listenApi(run);
  const cpus = os.cpus();
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  console.log(
    `BENCH_JOBS=${JOBS} BENCH_EPOCHS=${EPOCHS} tsx ${path.relative(ROOT, fileURLToPath(import.meta.url))}`,
  );
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, Redis ${redisVersion} at ${describeRedis(config)}`,
  );
  const { trainingQueue: queue, redis, checkpoints } = server;
  const retention = new JobRetention({
    queue,
    redis,
    prefix,
    checkpoints,
    retentionMs: retentionMs(config.JOB_RETENTION_DAYS),
  });
  const parts: Parts = { jobs: server.jobs, datasets: server.datasets, queue, retention };
  const csv = fs.readFileSync(path.join(ROOT, 'datasets/digits-8x8.csv'));
  const dataset = await parts.datasets.create(
    TENANT,
    'digits',
    'csv',
    csv,
    await parseCsv(csv, { maxClasses: 10 }),
  );
  const request: JobRequest = {
    dataset: dataset.id,
    architecture: { type: 'mlp', hiddenUnits: [8] },
    hyperparameters: { epochs: EPOCHS },
    seed: 1,
  };

  const real = await realJob(parts, request);
  const before = await measure();
  const { ids, replayed } = await finishJobs(parts, request, real.template);
  const finished = await measure();
  const replayForms = await footprint(admin, finished.keys, replayed[0]!);
  const sweepStarted = performance.now();
  const removed = (await sweepLater(parts.retention)) ?? 0;
  const sweepSeconds = (performance.now() - sweepStarted) / 1000;
  const expired = await measure();

  const sameForms = JSON.stringify(real.forms) === JSON.stringify(replayForms);
  const replaySizes = [...finished.keys]
    .filter(([key]) => key.includes(replayed[0]!))
    .map(([, size]) => size);
  console.log(`\none real job (mlp [8], ${EPOCHS} epochs, ${dataset.rows} rows), its keys:`);
  for (const [key, bytes] of real.sizes)
    console.log(`  ${key.replace(real.id, '<id>').slice(prefix.length).padEnd(40)} ${bytes} B`);
  console.log(`a replayed job's keys: ${replaySizes.join(' + ')} B`);
  console.log(`where a job is (its keys, and "holds it": index entries): ${real.forms.join(', ')}`);
  console.log(
    `a replayed job is where the real one is: ${sameForms ? 'yes' : `NO: ${replayForms.join(', ')}`}`,
  );
  console.log(
    `\n${JOBS} jobs (${replayed.length} succeeded, ${JOBS - replayed.length} cancelled while queued):`,
  );
  printMemory(before, finished, expired);
  const left = [...expired.keys.keys()].filter((key) => ids.some((id) => key.includes(id)));
  console.log(
    `  swept ${removed} jobs in ${sweepSeconds.toFixed(2)} s (${(removed / sweepSeconds).toFixed(0)} jobs/s); keys left naming them: ${left.length}`,
  );
  const queueEvents = `${prefix}:${QUEUES.training}:events`;
  console.log(
    `  left after expiry: BullMQ's queue event log ${kib(expired.keys.get(queueEvents) ?? 0)} ` +
      `(${await admin.xlen(queueEvents)} events; capped at about 10,000), ` +
      `the models' storage counts ${kib(expired.keys.get(keys.storedResources(TENANT)) ?? 0)} (models stay)`,
  );
  if (!sameForms || left.length > 0 || removed !== JOBS) process.exitCode = 1;
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanup();
}
