/**
 * `npm run bench:predict`: the service's predictions against two peers on the same model and load, in one run.
 * Three models are trained through the API on a real port (bench/predict-models.ts): on all 1797 bundled digits
 * (BENCH_EPOCHS, 3), an MLP 64-64-10 and the default CNN (filters [16, 32], dense 64) on 8×8×1; on the shipped
 * Fashion-MNIST PNGs (300, uploaded as a zip of class folders; BENCH_IMAGE_EPOCHS, 10), the same CNN on 28×28×1,
 * about 12× the model work a row. BENCH_MOBILENET=1 adds a transfer model on the real MobileNet v2 (uploaded,
 * frozen; 224×224×3 rows, about 420 KiB a body), measured for BENCH_MOBILENET_SECONDS (10) at
 * BENCH_MOBILENET_CONNECTIONS (8). For each model, at each of BENCH_CONNECTIONS (8,64,256) connections,
 * autocannon in a thread of its own sends BENCH_INSTANCES (1) rows per request, pixel values as a client sends
 * them (the CSV's rows; stored images resized to the model's input shape), for BENCH_SECONDS (3) after a 1 s
 * warm-up, to:
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
import {
  digitRows,
  fashionZip,
  imageRows,
  MOBILENET,
  MODELS,
  mobileNetUpload,
  settings,
  type BenchModel,
} from './predict-models.js';
import { bareFastify, inlineFastify, type PredictResponse } from './predict-peers.js';
import { ModelStore, type ModelRecord } from '../src/models/model-store.js';
import { openStore } from '../src/store/open-store.js';
import { startTrainer } from '../workers/trainer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const WARMUP_SECONDS = 1;
const CONNECTIONS = (process.env.BENCH_CONNECTIONS ?? '8,64,256').split(',').map(Number);
const INSTANCES = Number(process.env.BENCH_INSTANCES ?? 1);
/** Bodies sent in turn on each connection. */
const BODIES = 16;
const PEERS = ['bare Fastify, constant answer', 'Fastify route, inline predict', 'service'] as const;

// An in-process worker embedding through MobileNet holds this event loop for seconds at a time.
const run = await startBenchRun('predict', {
  TRAINING_ISOLATION: 'inline',
  ...(MOBILENET ? { MAX_EVENT_LOOP_DELAY_MS: 60_000 } : {}),
});
const { config, closers, cleanup } = run;

async function call<T>(
  run: BenchRun,
  url: string,
  body?: string | Buffer,
  type = 'application/json',
): Promise<T> {
  const response = await fetch(url, {
    method: body === undefined ? 'GET' : 'POST',
    headers: { ...run.headers, ...(body === undefined ? {} : { 'content-type': type }) },
    body,
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

/** The datasets MODELS train on, and the MobileNet base when one trains on it: their ids. */
async function upload(base: string, csv: string) {
  const digits = await call<{ id: string }>(run, `${base}/v1/datasets?name=digits`, csv, 'text/csv');
  const zip = await fashionZip();
  const fashion = await call<{ id: string }>(run, `${base}/v1/datasets?name=fashion`, zip, 'application/zip');
  let mobileNet: string | undefined;
  if (MOBILENET) {
    const { payload, contentType } = mobileNetUpload();
    mobileNet = (await call<{ id: string }>(run, `${base}/v1/models`, payload, contentType)).id;
  }
  return { digits: digits.id, fashion: fashion.id, mobileNet };
}

/** Trains each of MODELS through the API with an in-process worker; their model ids, in order. */
async function trainModels(base: string, uploaded: Awaited<ReturnType<typeof upload>>): Promise<string[]> {
  const trainer = await startTrainer(config);
  closers.push(() => trainer.close());
  const jobs = await Promise.all(
    MODELS.map(({ dataset, job, onMobileNet }) =>
      call<{ id: string }>(
        run,
        `${base}/v1/jobs`,
        JSON.stringify({
          dataset: uploaded[dataset],
          ...job,
          ...(onMobileNet ? { baseModel: uploaded.mobileNet } : {}),
          seed: 1,
        }),
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

/** BODIES request bodies of INSTANCES rows each, the rows taken in turn. */
const bodiesOf = (rows: number[][]) =>
  Array.from({ length: BODIES }, (_, b) =>
    JSON.stringify({
      instances: Array.from({ length: INSTANCES }, (_, i) => rows[(b * INSTANCES + i) % rows.length]!),
      topK: 1,
    }),
  );

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
async function measure(url: string, bodies: string[], connections: number, seconds: number) {
  await loadOf(url, bodies, connections, WARMUP_SECONDS);
  return loadOf(url, bodies, connections, seconds);
}

/**
 * Waits for the service to answer what it still holds when autocannon stops: requests just received, then every
 * instance waiting or running (a MobileNet batch can take seconds).
 */
async function drained(server: FastifyInstance) {
  await sleep(100);
  const until = performance.now() + 60_000;
  while (server.predictor.pool.stats().pending > 0 && performance.now() < until) await sleep(20);
}

/** The three peers on one model, at each number of connections. */
async function measureModel(
  server: FastifyInstance,
  base: string,
  record: ModelRecord,
  bodies: string[],
  { seconds = SECONDS, connections: counts = CONNECTIONS }: BenchModel,
) {
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
    for (const connections of counts) {
      const figures: Cell[] = [await measure(bare.url, bodies, connections, seconds)];
      figures.push(await measure(inline.url, bodies, connections, seconds));
      await loadOf(serviceUrl, bodies, connections, WARMUP_SECONDS);
      await drained(server);
      const before = server.predictor.pool.stats();
      const service: Cell = await loadOf(serviceUrl, bodies, connections, seconds);
      await drained(server);
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

function print(name: string, measured: Awaited<ReturnType<typeof measureModel>>, bodies: string[]) {
  const bytes = bodies.reduce((sum, body) => sum + body.length, 0) / bodies.length;
  console.log(
    `\n${name}, bodies of ${(bytes / 1024).toFixed(1)} KiB (the service and the inline route agree on ${measured.agreed} of ${bodies.length}):`,
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
    `BENCH_SECONDS=${SECONDS} BENCH_CONNECTIONS=${CONNECTIONS.join(',')} BENCH_INSTANCES=${INSTANCES} ${settings()} tsx ${path.relative(ROOT, fileURLToPath(import.meta.url))}`,
  );
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, TF.js backend ${backend.name} (${backend.device}); ` +
      `${stats.hosts} inference host(s), PREDICT_MAX_BATCH=${config.PREDICT_MAX_BATCH}, PREDICT_MAX_WAIT_MS=${config.PREDICT_MAX_WAIT_MS}`,
  );
  const csv = fs.readFileSync(path.join(ROOT, 'datasets/digits-8x8.csv'), 'utf8');
  const uploaded = await upload(base, csv);
  const trainingStarted = performance.now();
  const modelIds = await trainModels(base, uploaded);
  console.log(
    `trained ${modelIds.length} models in ${((performance.now() - trainingStarted) / 1000).toFixed(1)} s`,
  );

  // Raw pixel rows, as a client sends them: the digits CSV's, or stored images at the model's input shape.
  const models = new ModelStore(openStore(config));
  for (const [i, model] of MODELS.entries()) {
    const record = (await models.get('default', modelIds[i]!))!;
    const rows =
      model.dataset === 'digits'
        ? digitRows(csv)
        : await imageRows(config, uploaded.fashion, record.inputShape, BODIES * INSTANCES);
    const bodies = bodiesOf(rows);
    print(model.name, await measureModel(server, base, record, bodies, model), bodies);
  }
  console.log(`\n  overloaded 503s over the run: ${server.predictor.pool.stats().overloaded}`);
} catch (error) {
  process.exitCode = 1;
  console.error(error);
} finally {
  await cleanup();
}
