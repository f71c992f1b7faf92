/**
 * `npm run bench:queue`: job submission through the API against raw BullMQ on the same Redis, in the same run.
 * 1. Throughput: BENCH_JOBS (default 500) POST /v1/jobs on a real port, BENCH_CONCURRENCY (default 16) in flight,
 *    no worker running, against the same number of `queue.add` calls with the same payload and concurrency.
 * 2. Submit-to-running latency with an idle worker process waiting: BENCH_LATENCY_JOBS (default 30) tiny jobs one
 *    at a time, from just before the POST until the job's event log says `running` (followed with XREAD BLOCK),
 *    each run to its end before the next; against `queue.add` to processor start of a plain in-process BullMQ
 *    worker whose processor returns at once.
 * Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { listenApi, percentile, startBenchRun } from './harness.js';
import { newId } from '../src/ids.js';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import {
  QUEUES,
  redisKeysFor,
  trainingJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { createRedis, describeRedis } from '../src/redis.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const JOBS = Number(process.env.BENCH_JOBS ?? 500);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 30);
/** Submissions of each kind before the measured ones (connections, Lua scripts, JIT, the training process). */
const WARMUP = 20;
const LATENCY_WARMUP = 2;
/** After a job ends, how long the worker gets to go back to waiting before the next submission. */
const IDLE_GAP_MS = 100;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

// Everything opened is closed by `cleanup`, whichever way the run ends.
// The tenant submits every job of the run before any ends: its quota of unfinished jobs is raised to fit them.
const run = await startBenchRun('queue', { TENANT_MAX_ACTIVE_JOBS: 2 * (JOBS + WARMUP) + 100 }, (under) => [
  `${under}-raw`,
]);
const { config, prefix, admin, closers, cleanup } = run;
const rawPrefix = `${prefix}-raw`;

/** Runs `task(i)` for i < n with at most `concurrency` in flight; returns the seconds it took. */
async function pool(n: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: Math.min(concurrency, n) }, async () => {
      while (next < n) await task(next++);
    }),
  );
  return (performance.now() - started) / 1000;
}

const summary = (values: number[]) => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  min: Math.min(...values),
  max: Math.max(...values),
});

/** The first 10 rows of each digit from the bundled CSV: 100 rows, enough for a one-epoch job. */
function tinyDigitsCsv(perClass = 10): string {
  const [header, ...lines] = fs
    .readFileSync(path.join(ROOT, 'datasets/digits-8x8.csv'), 'utf8')
    .trim()
    .split('\n');
  const taken = new Map<string, number>();
  const kept = lines.filter((line) => {
    const label = line.slice(0, line.indexOf(','));
    const count = taken.get(label) ?? 0;
    taken.set(label, count + 1);
    return count < perClass;
  });
  return `${header!.trim()}\n${kept.map((line) => line.trim()).join('\n')}\n`;
}

try {
  const { base, backend } = await listenApi(run);

  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  const cpus = os.cpus();
  const settings = `BENCH_JOBS=${JOBS} BENCH_CONCURRENCY=${CONCURRENCY} BENCH_LATENCY_JOBS=${LATENCY_JOBS}`;
  console.log(`${settings} tsx ${path.relative(ROOT, fileURLToPath(import.meta.url))}`);
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, Redis ${redisVersion} at ${describeRedis(config)}, TF.js backend ${backend.name} (${backend.device})`,
  );

  const upload = await fetch(`${base}/v1/datasets?name=bench-digits`, {
    method: 'POST',
    headers: { ...run.headers, 'content-type': 'text/csv' },
    body: tinyDigitsCsv(),
  });
  if (upload.status !== 201) throw new Error(`dataset upload: ${upload.status} ${await upload.text()}`);
  const dataset = (await upload.json()) as { id: string; rows: number };

  const request: JobRequest = {
    name: 'bench',
    dataset: dataset.id,
    validation: { split: 0 },
    architecture: { type: 'mlp', hiddenUnits: [8] },
    hyperparameters: { epochs: 1, batchSize: 32 },
    seed: 1,
  };
  const body = JSON.stringify(request);
  const submit = async () => {
    const response = await fetch(`${base}/v1/jobs`, {
      method: 'POST',
      headers: { ...run.headers, 'content-type': 'application/json' },
      body,
    });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST /v1/jobs: ${response.status} ${text}`);
    return (JSON.parse(text) as { id: string }).id;
  };

  // The baseline queue: same Redis, its own prefix, the API's job options and the same payload.
  const rawConnection = createRedis(config, 'producer');
  closers.push(async () => rawConnection.disconnect());
  await once(rawConnection, 'ready');
  const rawQueue = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
    connection: rawConnection,
    prefix: rawPrefix,
    defaultJobOptions: trainingJobOptions(config.JOB_ATTEMPTS, config.JOB_BACKOFF_MS),
  });
  closers.push(() => rawQueue.close());
  // The API's queue, seen from here (its decorations live inside the app plugin's encapsulated context).
  const apiQueue = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
    connection: rawConnection,
    prefix,
  });
  closers.push(() => apiQueue.close());
  const payload = (): TrainingPayload => ({
    tenant: 'default',
    spec: resolveJobSpec(request, () => 1),
    createdAt: new Date().toISOString(),
  });
  const rawAdd = () => rawQueue.add('train', payload(), { jobId: newId('job') });

  // 1. Submission throughput, no worker anywhere: the jobs just queue.
  await pool(WARMUP, CONCURRENCY, async () => void (await submit()));
  await pool(WARMUP, CONCURRENCY, async () => void (await rawAdd()));
  const apiSeconds = await pool(JOBS, CONCURRENCY, async () => void (await submit()));
  const rawSeconds = await pool(JOBS, CONCURRENCY, async () => void (await rawAdd()));
  const apiRate = JOBS / apiSeconds;
  const rawRate = JOBS / rawSeconds;
  console.log(`\nsubmission throughput, ${JOBS} jobs, ${CONCURRENCY} in flight, no worker running:`);
  console.log(
    `  ${'API: POST /v1/jobs (fetch, real port)'.padEnd(44)} ${apiSeconds.toFixed(2).padStart(6)} s ${apiRate.toFixed(0).padStart(7)} jobs/s`,
  );
  console.log(
    `  ${'baseline: raw queue.add'.padEnd(44)} ${rawSeconds.toFixed(2).padStart(6)} s ${rawRate.toFixed(0).padStart(7)} jobs/s`,
  );
  console.log(`  API / baseline: ${(apiRate / rawRate).toFixed(2)}× the jobs/s`);

  // Phase 2 starts from empty queues.
  await apiQueue.obliterate({ force: true });
  await rawQueue.obliterate({ force: true });

  // 2a. A real worker process, idle, on the API's prefix and data directory.
  const env = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/trainer.ts'], {
    cwd: ROOT,
    env: {
      ...env,
      DATA_DIR: config.DATA_DIR,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      REDIS_URL: config.REDIS_URL,
      TFJS_BACKEND: config.TFJS_BACKEND,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let workerOutput = '';
  child.stdout.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (workerOutput += chunk.toString()));
  const exited = once(child, 'exit');
  const alive = () => child.exitCode === null && child.signalCode === null;
  closers.push(async () => {
    if (!alive()) return;
    child.kill('SIGTERM');
    const stopped = await Promise.race([exited.then(() => true), sleep(30_000, false, { ref: false })]);
    if (!stopped) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const workerStarted = performance.now();
  for (;;) {
    if (!alive()) throw new Error(`the worker exited while starting:\n${workerOutput}`);
    const listed = (await (await fetch(`${base}/v1/workers`, { headers: run.headers })).json()) as {
      items: Array<{ pid: number }>;
    };
    if (listed.items.some((worker) => worker.pid === child.pid)) break;
    if (performance.now() - workerStarted > 120_000)
      throw new Error(`no worker listed after 120 s:\n${workerOutput}`);
    await sleep(50);
  }
  const workerReadySeconds = (performance.now() - workerStarted) / 1000;

  const follower = createRedis(config, 'worker');
  closers.push(async () => follower.disconnect());
  /** Reads the job's log from `after` until a status event `wanted` accepts; when it arrived, and where. */
  const awaitStatus = async (jobId: string, after: string, wanted: (status: string) => boolean) => {
    const key = redisKeysFor(config.QUEUE_PREFIX).events(jobId);
    const deadline = performance.now() + 120_000;
    let last = after;
    for (;;) {
      const read = await follower.xread('COUNT', 100, 'BLOCK', 1000, 'STREAMS', key, last);
      const seenAt = performance.now();
      for (const [id, fields] of read?.[0]?.[1] ?? []) {
        last = id;
        if (fields[fields.indexOf('type') + 1] !== 'status') continue;
        const status = String((JSON.parse(fields[fields.indexOf('data') + 1]!) as { status: string }).status);
        if (wanted(status)) return { id, status, seenAt };
      }
      if (!alive()) throw new Error(`the worker exited:\n${workerOutput}`);
      if (performance.now() > deadline)
        throw new Error(`job ${jobId} stuck; worker output:\n${workerOutput}`);
    }
  };

  // 2b. Submit-to-running through the API, one job at a time, each run to its end.
  const posted: number[] = [];
  const observed: number[] = [];
  const stamped: number[] = [];
  const finished: number[] = [];
  for (let i = 0; i < LATENCY_WARMUP + LATENCY_JOBS; i++) {
    const started = performance.now();
    const startedEpochMs = performance.timeOrigin + started;
    const jobId = await submit();
    const postedAt = performance.now();
    const running = await awaitStatus(jobId, '0-0', (status) => status === 'running');
    const end = await awaitStatus(jobId, running.id, (status) => TERMINAL.has(status));
    if (end.status !== 'succeeded') throw new Error(`job ${jobId} ${end.status}:\n${workerOutput}`);
    // The job is finished in BullMQ too, and the worker back to waiting, before the next one.
    while (!['completed', 'failed'].includes(await apiQueue.getJobState(jobId))) await sleep(5);
    await sleep(IDLE_GAP_MS);
    if (i < LATENCY_WARMUP) continue;
    posted.push(postedAt - started);
    observed.push(running.seenAt - started);
    stamped.push(Number(running.id.split('-')[0]) - startedEpochMs);
    finished.push(end.seenAt - started);
  }

  // 2c. The baseline: queue.add to processor start, plain BullMQ worker in this process, processor returns at once.
  const pickedUp = new Map<string, number>();
  const rawWorkerConnection = createRedis(config, 'worker');
  closers.push(async () => rawWorkerConnection.disconnect());
  const rawWorker = new Worker<TrainingPayload, TrainingResultValue>(
    QUEUES.training,
    async (job) => {
      pickedUp.set(job.id!, performance.now());
      return undefined as unknown as TrainingResultValue;
    },
    { connection: rawWorkerConnection, prefix: rawPrefix },
  );
  closers.push(() => rawWorker.close());
  await rawWorker.waitUntilReady();
  const rawPickup: number[] = [];
  for (let i = 0; i < LATENCY_WARMUP + LATENCY_JOBS; i++) {
    const done = new Promise<void>((resolve) => {
      const onCompleted = () => {
        rawWorker.off('completed', onCompleted);
        resolve();
      };
      rawWorker.on('completed', onCompleted);
    });
    const started = performance.now();
    const job = await rawAdd();
    await done;
    await sleep(IDLE_GAP_MS);
    if (i >= LATENCY_WARMUP) rawPickup.push(pickedUp.get(job.id!)! - started);
  }

  console.log(
    `\nsubmit → running, ${LATENCY_JOBS} jobs one at a time (after ${LATENCY_WARMUP} warm-up), idle worker waiting (ready in ${workerReadySeconds.toFixed(1)} s):`,
  );
  console.log(`  ${''.padEnd(56)} ${['p50', 'p99', 'min', 'max'].map((h) => h.padStart(8)).join('')}`);
  const row = (label: string, values: number[]) => {
    const s = summary(values);
    console.log(
      `  ${label.padEnd(56)} ${[s.p50, s.p99, s.min, s.max].map((v) => `${v.toFixed(1)}`.padStart(8)).join('')}  ms`,
    );
  };
  row("API: POST → 'running' seen in the job's event log", observed);
  row("     POST → 'running' as stamped in the log (Redis ms)", stamped);
  row('     POST round trip (201)', posted);
  row('     POST → succeeded (mlp [8], 1 epoch, 100 rows)', finished);
  row('baseline: queue.add → in-process processor start', rawPickup);
  const ours = summary(observed);
  const raw = summary(rawPickup);
  console.log(
    `  API / baseline: p50 ${(ours.p50 / raw.p50).toFixed(1)}×, p99 ${(ours.p99 / raw.p99).toFixed(1)}×` +
      (LATENCY_JOBS < 100 ? ` (p99 of ${LATENCY_JOBS} samples is their maximum)` : ''),
  );
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanup();
}
