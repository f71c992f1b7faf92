/**
 * `npm run bench:queue`: job submission through the API against raw BullMQ on the same Redis, in the same run.
 * 1. Throughput, no worker running: BENCH_ROUNDS (default 3) rounds, each BENCH_JOBS (default 1000) POST /v1/jobs
 *    on a real port from autocannon in a thread of its own (BENCH_CLIENT=fetch: `fetch` in this process, as an
 *    application would), BENCH_CONCURRENCY (default 16) connections, then as many `queue.add` calls with the same
 *    payload and concurrency, and as many POSTs to a peer: a Fastify route with nothing registered that only calls
 *    `queue.add` (bench/queue-peer.ts), the most any HTTP submission gets here. The best round of each is compared,
 *    and every round's own ratios printed: on a shared machine, a round's neighbours are the fairest comparison.
 * 2. Submit-to-running latency with an idle worker process waiting: BENCH_LATENCY_JOBS (default 30) tiny jobs one
 *    at a time, from just before the POST until the job's event log says `running` (followed with XREAD BLOCK),
 *    each run to its end before the next; against `queue.add` to processor start of a plain in-process BullMQ
 *    worker whose processor returns at once.
 * Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { Queue, Worker } from 'bullmq';
import { listenApi, percentile, startBenchRun, startWorkerProcess, tinyDigitsCsv } from './harness.js';
import { load, pool } from './load.js';
import { addRoute } from './queue-peer.js';
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
const JOBS = Number(process.env.BENCH_JOBS ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const CLIENT = process.env.BENCH_CLIENT === 'fetch' ? 'fetch' : 'autocannon';
const LATENCY_JOBS = Number(process.env.BENCH_LATENCY_JOBS ?? 30);
/**
 * Submissions of each kind before the measured ones (connections, Lua scripts, the training process, and the JIT:
 * after 200 the API's code was still being optimized).
 */
const WARMUP = 2000;
const LATENCY_WARMUP = 2;
/** After a job ends, how long the worker gets to go back to waiting before the next submission. */
const IDLE_GAP_MS = 100;
const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

// Everything opened is closed by `cleanup`, whichever way the run ends.
// The tenant submits every job of the run before any ends: its quota of unfinished jobs is raised to fit them.
const run = await startBenchRun(
  'queue',
  { TENANT_MAX_ACTIVE_JOBS: 2 * (ROUNDS * JOBS + WARMUP) + 100 },
  (under) => [`${under}-raw`, `${under}-route`],
);
const { config, prefix, admin, closers, cleanup } = run;
const rawPrefix = `${prefix}-raw`;

const summary = (values: number[]) => ({
  p50: percentile(values, 50),
  p99: percentile(values, 99),
  min: Math.min(...values),
  max: Math.max(...values),
});

try {
  const { base, backend } = await listenApi(run);

  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  const cpus = os.cpus();
  const settings = `BENCH_JOBS=${JOBS} BENCH_ROUNDS=${ROUNDS} BENCH_CONCURRENCY=${CONCURRENCY} BENCH_CLIENT=${CLIENT} BENCH_LATENCY_JOBS=${LATENCY_JOBS}`;
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
  const headers = { ...run.headers, 'content-type': 'application/json' };
  const submit = async (url = `${base}/v1/jobs`) => {
    const response = await fetch(url, { method: 'POST', headers, body });
    const text = await response.text();
    if (response.status !== 201) throw new Error(`POST /v1/jobs: ${response.status} ${text}`);
    return (JSON.parse(text) as { id: string }).id;
  };

  /** A queue under `under` with the API's job options, on a producer connection of its own, as the API has. */
  const ownQueue = async (under: string) => {
    const connection = createRedis(config, 'producer');
    closers.push(async () => connection.disconnect());
    await once(connection, 'ready');
    const queue = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, {
      connection,
      prefix: under,
      defaultJobOptions: trainingJobOptions(config.JOB_ATTEMPTS, config.JOB_BACKOFF_MS),
    });
    closers.push(() => queue.close());
    return { queue, connection };
  };
  // The baseline queue: same Redis, its own prefix, the API's job options and the same payload.
  const { queue: rawQueue, connection: rawConnection } = await ownQueue(rawPrefix);
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
  // The peer, on a queue of its own.
  const { queue: routeQueue } = await ownQueue(`${prefix}-route`);
  const route = await addRoute(routeQueue, payload);
  closers.push(route.close);

  // 1. Submission throughput, no worker anywhere: the jobs just queue.
  const submitMany = async (n: number, url = `${base}/v1/jobs`) => {
    if (CLIENT === 'fetch') return n / (await pool(n, CONCURRENCY, async () => void (await submit(url))));
    const figures = await load({
      url,
      headers,
      bodies: [body],
      connections: CONCURRENCY,
      amount: n,
    });
    if (figures.failed > 0) throw new Error(`POST /v1/jobs: ${figures.failed} of ${n} failed`);
    return figures.rate;
  };
  const addMany = async (n: number) => n / (await pool(n, CONCURRENCY, async () => void (await rawAdd())));
  await submitMany(WARMUP);
  await submitMany(WARMUP, route.url);
  await addMany(WARMUP);
  const rounds: Array<Record<'api' | 'route' | 'raw', number>> = [];
  for (let round = 0; round < ROUNDS; round++)
    rounds.push({
      api: await submitMany(JOBS),
      route: await submitMany(JOBS, route.url),
      raw: await addMany(JOBS),
    });
  const best = (of: 'api' | 'route' | 'raw') => Math.max(...rounds.map((r) => r[of]));
  const ratios = (of: 'api' | 'route', to: 'route' | 'raw') =>
    `${(best(of) / best(to)).toFixed(2)}× (best of each); per round ${rounds.map((r) => `${(r[of] / r[to]).toFixed(2)}×`).join(', ')}`;
  const client = CLIENT === 'fetch' ? 'fetch in this process' : 'autocannon in a thread';
  console.log(
    `\nsubmission throughput, ${ROUNDS} rounds of ${JOBS} jobs, ${CONCURRENCY} in flight, no worker running:`,
  );
  const line = (label: string, of: 'api' | 'route' | 'raw') =>
    console.log(
      `  ${label.padEnd(46)} ${best(of).toFixed(0).padStart(6)} jobs/s best; rounds ${rounds.map((r) => r[of].toFixed(0)).join(', ')}`,
    );
  line(`API: POST /v1/jobs (${client})`, 'api');
  line('peer: Fastify route calling queue.add', 'route');
  line('baseline: raw queue.add', 'raw');
  console.log(`  API / baseline: ${ratios('api', 'raw')}`);
  console.log(`  peer / baseline: ${ratios('route', 'raw')}`);
  console.log(`  API / peer: ${ratios('api', 'route')}`);

  // Phase 2 starts from empty queues.
  await apiQueue.obliterate({ force: true });
  await rawQueue.obliterate({ force: true });

  // 2a. A real worker process, idle, on the API's prefix and data directory.
  const workerStarted = performance.now();
  const worker = await startWorkerProcess(run, base);
  const workerReadySeconds = (performance.now() - workerStarted) / 1000;
  const { alive } = worker;

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
      if (!alive()) throw new Error(`the worker exited:\n${worker.output()}`);
      if (performance.now() > deadline)
        throw new Error(`job ${jobId} stuck; worker output:\n${worker.output()}`);
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
    if (end.status !== 'succeeded') throw new Error(`job ${jobId} ${end.status}:\n${worker.output()}`);
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
