/**
 * `npm run bench:small-job`: where a small transfer job's wall time goes, against a plain TF.js script and PyTorch,
 * in one run. The base is a [16, 32] CNN trained on digits 0–4; the job trains a Dense(64) head on its frozen
 * `features` for digits 5–9, 20 epochs, batch 32, Adam 1e-3, seed fixed.
 * 1. Through the service: the API listening in this process and one worker process; the base trained by a job,
 *    then BENCH_RUNS (default 5) transfer jobs, each timed from just before POST /v1/jobs until its `succeeded`
 *    status arrives on GET /v1/jobs/:id/events, and broken down by the timestamps of its events.
 * 2. The service's train() in this process on the same stored data and base, its phases timed by its hooks.
 * 3. A plain TF.js script on the same backend, base, cut, head and rows (bench/small-job-parts.ts).
 * 4. PyTorch (bench/small-job-torch.ts runs bench/small-job-torch.py), when python3 can import torch.
 * Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { DatasetStore } from '../src/datasets/dataset-store.js';
import { isTerminal, type JobEvent } from '../src/jobs/job-events.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import { describeRedis } from '../src/redis.js';
import { openStore } from '../src/store/open-store.js';
import { listenApi, median, startBenchRun, startWorkerProcess, type BenchRun } from './harness.js';
import {
  baseRequest,
  digitsCsv,
  inProcessTransfer,
  plainTransfer,
  table,
  TENANT,
  printLocal,
  transferRequest,
  TRANSFER,
  BASE_EPOCHS,
  type Line,
  type StoredInputs,
} from './small-job-parts.js';
import { torchPart } from './small-job-torch.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
// The machine may be shared: its load says how far to trust one run's figures.
const load = () =>
  os
    .loadavg()
    .map((n) => n.toFixed(1))
    .join(' ');

interface JobRun {
  id: string;
  /** Date.now() just before the POST, and when the terminal status arrived on the event stream. */
  postedAt: number;
  seenAt: number;
  events: JobEvent[];
}

/** Submits a job and follows its event stream to its terminal status; fails unless it succeeded. */
async function runJob(run: BenchRun, api: string, request: JobRequest): Promise<JobRun> {
  const postedAt = Date.now();
  const response = await fetch(`${api}/v1/jobs`, {
    method: 'POST',
    headers: { ...run.headers, 'content-type': 'application/json' },
    body: JSON.stringify(request),
  });
  if (response.status !== 201) throw new Error(`POST /v1/jobs: ${response.status} ${await response.text()}`);
  const { id } = (await response.json()) as { id: string };
  const stream = await fetch(`${api}/v1/jobs/${id}/events`, {
    headers: { ...run.headers, accept: 'text/event-stream' },
  });
  if (!stream.ok || !stream.body) throw new Error(`GET /v1/jobs/${id}/events: ${stream.status}`);
  const reader = stream.body.pipeThrough(new TextDecoderStream()).getReader();
  const events: JobEvent[] = [];
  let buffer = '';
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`the event stream of ${id} ended before the job did`);
      buffer += value.replaceAll('\r\n', '\n');
      for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        // Each event is one line of JSON.
        const data = block
          .split('\n')
          .find((line) => line.startsWith('data:'))
          ?.slice(5);
        if (!data) continue;
        const event = JSON.parse(data) as JobEvent;
        events.push(event);
        if (!isTerminal(event)) continue;
        if (event.data.status !== 'succeeded') throw new Error(`job ${id} ${JSON.stringify(event.data)}`);
        return { id, postedAt, seenAt: Date.now(), events };
      }
    }
  } finally {
    await reader.cancel();
  }
}

/** A job's wall time cut at its events' timestamps: each segment ends where the next begins. */
function breakdown({ postedAt, seenAt, events }: JobRun) {
  const at = (event: JobEvent | undefined, what: string) => {
    if (!event) throw new Error(`the job's log has no ${what} event`);
    return Date.parse(event.at);
  };
  const status = (name: string) =>
    at(
      events.find((e) => e.type === 'status' && e.data.status === name),
      name,
    );
  const features = events.filter((e) => e.type === 'progress' && e.data.phase === 'features');
  const epochs = events.filter((e) => e.type === 'epoch');
  const [queued, running, succeeded] = [status('queued'), status('running'), status('succeeded')];
  const [firstFeatures, lastFeatures] = [at(features[0], 'features'), at(features.at(-1), 'features')];
  const [firstEpoch, lastEpoch] = [at(epochs[0], 'epoch'), at(epochs.at(-1), 'epoch')];
  const head = events.find((e) => e.type === 'progress' && e.data.phase === 'head');
  const batches = Number(head?.data.batches ?? Number.NaN);
  // Each epoch but the last is followed by its checkpoint, written before the next epoch starts.
  const checkpoints = epochs.flatMap((epoch) => {
    const from = events.indexOf(epoch);
    const next = events.slice(from + 1).find((e) => e.type === 'checkpoint' || e.type === 'epoch');
    return next?.type === 'checkpoint' ? [Date.parse(next.at) - Date.parse(epoch.at)] : [];
  });
  const perEpoch = (lastEpoch - firstEpoch) / (epochs.length - 1);
  return {
    segments: [
      ['POST → queued (submission)', queued - postedAt],
      ['queued → running (pickup)', running - queued],
      ['running → first features progress (data, base, set-up)', firstFeatures - running],
      [`features progress, first → last (${features.length} in the log)`, lastFeatures - firstFeatures],
      ['last features progress → epoch 1 event', firstEpoch - lastFeatures],
      [`epoch 1 → epoch ${epochs.length} events (the loop)`, lastEpoch - firstEpoch],
      [`epoch ${epochs.length} → succeeded (evaluate, serialize, store)`, succeeded - lastEpoch],
      ['succeeded → seen on the event stream', seenAt - succeeded],
    ] as Array<[string, number]>,
    wall: seenAt - postedAt,
    perEpoch,
    perBatch: perEpoch / batches,
    batches,
    checkpoint: checkpoints.length > 0 ? median(checkpoints) : Number.NaN,
    checkpoints: checkpoints.length,
  };
}

async function modelOf(run: BenchRun, api: string, job: JobRun) {
  const ended = job.events.find(isTerminal)!;
  const modelId = String(ended.data.modelId);
  const response = await fetch(`${api}/v1/models/${modelId}`, { headers: run.headers });
  const record = (await response.json()) as { evaluation?: { accuracy: number; rows: number } };
  return { modelId, accuracy: record.evaluation?.accuracy ?? Number.NaN, rows: record.evaluation?.rows ?? 0 };
}

async function upload(run: BenchRun, api: string, name: string, csv: string) {
  const response = await fetch(`${api}/v1/datasets?name=${name}`, {
    method: 'POST',
    headers: { ...run.headers, 'content-type': 'text/csv' },
    body: csv,
  });
  if (response.status !== 201) throw new Error(`dataset upload: ${response.status} ${await response.text()}`);
  return (await response.json()) as { id: string; rows: number };
}

/** The two datasets and the base, through the API and a worker process. */
async function prepare(run: BenchRun, api: string) {
  await startWorkerProcess(run, api);
  const low = await upload(
    run,
    api,
    'digits-0-4',
    digitsCsv((label) => label < 5),
  );
  const high = await upload(
    run,
    api,
    'digits-5-9',
    digitsCsv((label) => label >= 5),
  );
  const baseJob = await runJob(run, api, baseRequest(low.id));
  const base = await modelOf(run, api, baseJob);
  const seconds = (baseJob.seenAt - baseJob.postedAt) / 1000;
  console.log(
    `\nbase ${base.modelId}: a job on ${low.rows} rows of 0–4, ${BASE_EPOCHS} epochs, through the service in ` +
      `${seconds.toFixed(1)} s, validation accuracy ${base.accuracy.toFixed(3)}; the transfer jobs train on ${high.rows} rows of 5–9`,
  );
  const store = openStore(run.config);
  const datasets = new DatasetStore(store);
  const models = new ModelStore(store);
  const stored: StoredInputs = { datasets, models, datasetId: high.id, baseModelId: base.modelId };
  const pixels = (await models.get(TENANT, base.modelId))!.preprocessing?.pixels ?? null;
  return { stored, pixels, lowId: low.id };
}

type Prepared = Awaited<ReturnType<typeof prepare>>;

/**
 * One round: the transfer job through the service, then train() here, then the plain script, one after another,
 * so that each round's three share the machine's load of the moment (it is shared: that load changes).
 */
async function round(run: BenchRun, api: string, { stored, pixels }: Prepared) {
  const { datasetId, baseModelId } = stored;
  const job = await runJob(run, api, transferRequest(datasetId, baseModelId));
  const service = { ...breakdown(job), ...(await modelOf(run, api, job)) };
  const own = await inProcessTransfer(stored);
  const data = await stored.datasets.load(TENANT, datasetId);
  const base = await stored.models.load(TENANT, baseModelId);
  const plain = await plainTransfer(base, data, { classes: 5, pixels });
  return { service, own, plain };
}

type Round = Awaited<ReturnType<typeof round>>;

function printService(rounds: Round[]): void {
  const [{ service: first }] = rounds as [Round];
  console.log(`\n1. through the service (API here, one worker process), ${rounds.length} transfer jobs:`);
  table(rounds, [
    ...first.segments.map(([label], i): Line<Round> => [label, (r) => r.service.segments[i]![1]]),
    ['wall: before POST → succeeded seen', (r) => r.service.wall],
    [`  per epoch of the loop (${first.batches} batches)`, (r) => r.service.perEpoch],
    ['  per batch', (r) => r.service.perBatch * 1000, 'µs'],
    [`  epoch event → its checkpoint event (median of ${first.checkpoints})`, (r) => r.service.checkpoint],
  ]);
  console.log(
    '  (the log keeps one progress event per 500 ms: the features pass ends within the line after it)',
  );
  const accuracies = rounds.map((r) => r.service.accuracy.toFixed(3)).join(', ');
  console.log(`  validation accuracy ${accuracies} (${first.rows} rows)`);
}

function printRatios(rounds: Round[], torch: ReturnType<typeof torchPart>): void {
  console.log('\n5. ratios, of medians; then each round');
  const ratio = (label: string, ours: (r: Round) => number, theirs: (r: Round) => number) => {
    const [a, b] = [median(rounds.map(ours)), median(rounds.map(theirs))];
    const each = rounds.map((r) => `${(ours(r) / theirs(r)).toFixed(2)}×`).join(', ');
    console.log(
      `  ${label.padEnd(58)}${(a / b).toFixed(2).padStart(8)}×  (${a.toFixed(0)} / ${b.toFixed(0)} ms); ${each}`,
    );
  };
  ratio(
    'service (API end to end) / plain TF.js',
    (r) => r.service.wall,
    (r) => r.plain.total,
  );
  ratio(
    'in-process train() / plain TF.js',
    (r) => r.own.train,
    (r) => r.plain.total,
  );
  for (const { variant, seconds } of torch?.variants ?? [])
    ratio(
      `service / PyTorch ${variant}`,
      (r) => r.service.wall,
      () => seconds * 1000,
    );
}

const run = await startBenchRun('small-job');
try {
  const { base: api, backend } = await listenApi(run);
  const redisVersion = /redis_version:(\S+)/.exec(await run.admin.info('server'))?.[1] ?? '?';
  const cpus = os.cpus();
  console.log(
    `BENCH_RUNS=${RUNS} BENCH_BASE_EPOCHS=${BASE_EPOCHS} tsx ${path.relative(ROOT, fileURLToPath(import.meta.url))}`,
  );
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, Redis ${redisVersion} at ${describeRedis(run.config)}, TF.js backend ${backend.name} (${backend.device}), load average ${load()}`,
  );
  console.log(
    `job: cnn [16, 32] base on 0–4; head Dense(64) + Dropout(0.2) on its frozen 'features' for 5–9, ${TRANSFER.epochs} epochs, batch ${TRANSFER.batchSize}, Adam ${TRANSFER.learningRate}; ` +
      `${RUNS} rounds, each a job through the service, then train() here, then the plain script`,
  );
  const prepared = await prepare(run, api);
  const tensorsBefore = tf.memory().numTensors;
  const rounds: Round[] = [];
  for (let i = 0; i < RUNS; i++) rounds.push(await round(run, api, prepared));
  printService(rounds);
  printLocal(
    rounds.map((r) => r.own),
    rounds.map((r) => r.plain),
    prepared.pixels,
  );
  console.log(
    `\ntf.memory().numTensors: ${tensorsBefore} before parts 2 and 3, ${tf.memory().numTensors} after them`,
  );
  const { datasets, datasetId } = prepared.stored;
  const [baseData, data] = [
    await datasets.load(TENANT, prepared.lowId),
    await datasets.load(TENANT, datasetId),
  ];
  printRatios(rounds, torchPart(baseData, data, prepared.pixels));
  console.log(`\nload average at the end: ${load()}`);
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await run.cleanup();
}
