/**
 * `npm run bench:predict`: the service's predictions against two peers on the same model and load, in one run.
 * Two digits models are trained through the API on a real port, on all 1797 bundled digits (BENCH_EPOCHS, 3): an
 * MLP 64-64-10 and the default CNN (filters [16, 32], dense 64). For each, at each of BENCH_CONNECTIONS (8,64,256)
 * connections, autocannon in a thread of its own sends BENCH_INSTANCES (1) rows per request, for BENCH_SECONDS (3)
 * after a 1 s warm-up, to:
 * 1. bare Fastify answering a constant prediction: the floor of any HTTP service on this machine;
 * 2. a hand-written Fastify route calling `model.predict` inline, one request at a time (bench/predict-peers.ts);
 * 3. the service's POST /v1/models/:id/predict.
 * It prints each one's req/s, p50 and p99, the service's mean batch, and the ratios service/inline and
 * service/bare. Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance } from 'fastify';
import { listenApi, startBenchRun, type BenchRun } from './harness.js';
import { load, type LoadFigures } from './load.js';
import { bareFastify, inlineFastify, type PredictResponse } from './predict-peers.js';
import { ModelStore, type ModelRecord } from '../src/models/model-store.js';
import { openStore } from '../src/store/open-store.js';
import { startTrainer } from '../workers/trainer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP_SECONDS = 1;
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '8,64,256').split(',').map(Number);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);

const MODELS = [
  { name: 'digits MLP 64-64-10', architecture: { type: 'mlp', hiddenUnits: [64] } },
  { name: 'digits CNN [16, 32], dense 64', architecture: { type: 'cnn', inputShape: [8, 8, 1] } },
];
const PEERS = ['bare Fastify, constant answer', 'Fastify route, inline predict', 'service'] as const;

const run = await startBenchRun('predict', { TRAINING_ISOLATION: 'inline' });
const { config, closers, cleanup } = run;

async function call<T>(run: BenchRun, url: string, body?: string, type = 'application/json'): Promise<T> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...run.headers, ...(body === undefined ? {} : { 'content-type': type }) },
    body,
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** Trains each of MODELS through the API with an in-process worker; their model ids, in order. */
async function trainModels(base: string, csv: string): Promise<string[]> {
  const dataset = await call<{ id: string }>(run, `${base}/v1/datasets?name=digits`, csv, 'text/csv');
  const trainer = await startTrainer(config);
  closers.push(() => trainer.close());
  const jobs = await Promise.all(
    MODELS.map(({ architecture }) =>
      call<{ id: string }>(
        run,
        `${base}/v1/jobs`,
        JSON.stringify({ dataset: dataset.id, architecture, hyperparameters: { epochs: EPOCHS }, seed: 1 }),
      ),
    ),
  );
  const ids: string[] = [];
  for (const job of jobs) {
    for (;;) {
      const view = await call<{ status: string; modelId: string | null; error: unknown }>(
        run,
        `${base}/v1/jobs/${job.id}`,
      );
      if (view.status === 'failed' || view.status === 'cancelled')
        throw new Error(`training ${view.status}: ${JSON.stringify(view.error)}`);
      if (view.modelId) {
        ids.push(view.modelId);
        break;
      }
      await sleep(200);
    }
  }
  await trainer.close();
  return ids;
}

interface Cell extends LoadFigures {
  meanBatch?: number;
}

const loadOf = (url: string, bodies: string[], connections: number, seconds: number) =>
  load({
    url,
    headers: { ...run.headers, 'content-type': 'application/json' },
    bodies,
    connections,
    seconds,
  });

/** One peer at one number of connections: a warm-up, then the measured run. */
async function measure(url: string, bodies: string[], connections: number): Promise<LoadFigures> {
  await loadOf(url, bodies, connections, WARMUP_SECONDS);
  return loadOf(url, bodies, connections, SECONDS);
}

/** The three peers on one model, at each number of connections. */
async function measureModel(server: FastifyInstance, base: string, record: ModelRecord, bodies: string[]) {
  const model = await new ModelStore(openStore(config)).load('default', record.id);
  const serviceUrl = `${base}/v1/models/${record.id}/predict`;
  const answer = await call<PredictResponse>(run, serviceUrl, bodies[0]);
  const bare = await bareFastify(answer);
  const inline = await inlineFastify(model, record);
  // The same model both ways: the labels the inline route gives are the service's.
  const labels = (response: PredictResponse) => response.predictions.map((p) => p.label).join();
  const agree = await Promise.all(
    bodies.map(async (body) => {
      const [ours, theirs] = await Promise.all([
        call<PredictResponse>(run, serviceUrl, body),
        call<PredictResponse>(run, inline.url, body),
      ]);
      return labels(ours) === labels(theirs);
    }),
  );
  const cells: Array<{ connections: number; figures: Cell[] }> = [];
  try {
    for (const connections of CONNECTIONS) {
      const figures: Cell[] = [await measure(bare.url, bodies, connections)];
      figures.push(await measure(inline.url, bodies, connections));
      await loadOf(serviceUrl, bodies, connections, WARMUP_SECONDS);
      const before = server.predictor.pool.stats();
      const service: Cell = await loadOf(serviceUrl, bodies, connections, SECONDS);
      // Requests still in flight when autocannon stops are answered before the counters are read.
      await sleep(300);
      const after = server.predictor.pool.stats();
      service.meanBatch = (after.instances - before.instances) / Math.max(1, after.batches - before.batches);
      figures.push(service);
      cells.push({ connections, figures });
    }
  } finally {
    await bare.close();
    await inline.close();
    model.dispose();
  }
  return { cells, agreed: agree.filter(Boolean).length };
}

/** autocannon's latencies are whole milliseconds. */
const ms = (value: number) => (value < 1 ? '<1' : value.toFixed(0)).padStart(6);

function print(name: string, measured: Awaited<ReturnType<typeof measureModel>>, bodies: number) {
  console.log(
    `\n${name} (the service and the inline route agree on ${measured.agreed} of ${bodies} bodies):`,
  );
  console.log(
    `  ${'conns'.padStart(5)}  ${'peer'.padEnd(30)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(7)} ${'p99 ms'.padStart(7)}  errors`,
  );
  for (const { connections, figures } of measured.cells) {
    figures.forEach((cell, i) => {
      const batch = cell.meanBatch === undefined ? '' : `  mean batch ${cell.meanBatch.toFixed(1)}`;
      console.log(
        `  ${(i === 0 ? String(connections) : '').padStart(5)}  ${PEERS[i]!.padEnd(30)} ${cell.rate.toFixed(0).padStart(8)} ${ms(cell.p50)}  ${ms(cell.p99)}  ${String(cell.failed).padStart(6)}${batch}`,
      );
    });
    const [bare, inline, service] = figures as [Cell, Cell, Cell];
    console.log(
      `  ${''.padStart(5)}  service / inline ${(service.rate / inline.rate).toFixed(2)}×, service / bare ${(service.rate / bare.rate).toFixed(2)}× the req/s`,
    );
  }
}

try {
  const { server, base, backend } = await listenApi(run);
  const stats = server.predictor.pool.stats();
  const cpus = os.cpus();
  console.log(
    `BENCH_SECONDS=${SECONDS} BENCH_CONNECTIONS=${CONNECTIONS.join(',')} BENCH_INSTANCES=${INSTANCES} BENCH_EPOCHS=${EPOCHS} tsx ${path.relative(ROOT, fileURLToPath(import.meta.url))}`,
  );
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, TF.js backend ${backend.name} (${backend.device}); ` +
      `${stats.hosts} inference host(s), PREDICT_MAX_BATCH=${config.PREDICT_MAX_BATCH}, PREDICT_MAX_WAIT_MS=${config.PREDICT_MAX_WAIT_MS}`,
  );
  const csv = fs.readFileSync(path.join(ROOT, 'datasets/digits-8x8.csv'), 'utf8');
  const trainingStarted = performance.now();
  const modelIds = await trainModels(base, csv);
  console.log(
    `trained ${modelIds.length} models in ${((performance.now() - trainingStarted) / 1000).toFixed(1)} s`,
  );

  // Raw pixel rows, as a client sends them: 16 bodies in turn on each connection.
  const rows = csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(1).map(Number));
  const bodies = Array.from({ length: 16 }, (_, b) =>
    JSON.stringify({
      instances: Array.from({ length: INSTANCES }, (_, i) => rows[(b * INSTANCES + i) % rows.length]!),
      topK: 1,
    }),
  );
  const models = new ModelStore(openStore(config));
  for (const [i, { name }] of MODELS.entries()) {
    const record = (await models.get('default', modelIds[i]!))!;
    print(name, await measureModel(server, base, record, bodies), bodies.length);
  }
  console.log(`\n  overloaded 503s over the run: ${server.predictor.pool.stats().overloaded}`);
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanup();
}
