/**
 * `npm run bench:predict`: predictions over HTTP against predicting in process, in the same run.
 * The API listens on a real port in this process; a digits CNN (the default architecture: filters [16, 32], dense 64)
 * is trained through it on all 1797 bundled digits. Then:
 * 1. in-process baseline: a loop calling `model.predict` on one instance at a time, on this process's backend;
 * 2. HTTP, one instance per request, BENCH_CONNECTIONS (64) connections, autocannon in a thread of its own;
 * 3. HTTP, 32 instances per request, the same.
 * Each phase runs BENCH_SECONDS (10). The API's event loop delay is sampled during each HTTP phase.
 * Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import * as tf from '@tensorflow/tfjs';
import autocannon from 'autocannon';
import { listenApi, percentile, startBenchRun } from './harness.js';
import { ModelStore } from '../src/models/model-store.js';
import { openStore } from '../src/store/open-store.js';
import { startTrainer } from '../workers/trainer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);

const run = await startBenchRun('predict', { TRAINING_ISOLATION: 'inline' });
const { config, closers, cleanup } = run;

interface Figures {
  label: string;
  requests: number;
  instances: number;
  p50: number;
  p99: number;
  errors: number;
  loopDelay?: { p50: number; p99: number; max: number };
}

const ms = (value: number) => `${value.toFixed(2).padStart(7)} ms`;
const rate = (value: number) => `${value.toFixed(0).padStart(7)}/s`;

function print(rows: Figures[], baseline: Figures) {
  console.log(
    `\n  ${'phase'.padEnd(44)} ${'req/s'.padStart(9)} ${'inst/s'.padStart(9)} ${'p50'.padStart(10)} ${'p99'.padStart(10)}  ${'inst/s vs baseline'}`,
  );
  for (const row of rows) {
    console.log(
      `  ${row.label.padEnd(44)} ${rate(row.requests)} ${rate(row.instances)} ${ms(row.p50)} ${ms(row.p99)}  ${(row.instances / baseline.instances).toFixed(2)}×${row.errors ? `  (${row.errors} errors)` : ''}`,
    );
  }
  for (const row of rows) {
    if (!row.loopDelay) continue;
    const { p50, p99, max } = row.loopDelay;
    console.log(
      `  API event loop delay during "${row.label}": p50 ${p50.toFixed(2)} ms, p99 ${p99.toFixed(2)} ms, max ${max.toFixed(2)} ms`,
    );
  }
}

/** One instance at a time through `model.predict`, as an application predicting in its own process would. */
async function inProcess(model: tf.LayersModel, rows: Float32Array[]): Promise<Figures> {
  const once = (row: Float32Array) =>
    tf.tidy(() => (model.predict(tf.tensor(row, [1, 8, 8, 1])) as tf.Tensor).dataSync());
  for (let i = 0; i < 200; i++) once(rows[i % rows.length]!);
  const latencies: number[] = [];
  const started = performance.now();
  const until = started + SECONDS * 1000;
  let n = 0;
  while (performance.now() < until) {
    const t0 = performance.now();
    once(rows[n++ % rows.length]!);
    latencies.push(performance.now() - t0);
  }
  const seconds = (performance.now() - started) / 1000;
  return {
    label: 'in process: model.predict, 1 instance',
    requests: n / seconds,
    instances: n / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors: 0,
  };
}

/** autocannon against the predict route, the load generated in a thread of its own. */
async function overHttp(
  label: string,
  url: string,
  rows: Float32Array[],
  perRequest: number,
): Promise<Figures> {
  const bodies = Array.from({ length: 16 }, (_, b) =>
    JSON.stringify({
      instances: Array.from({ length: perRequest }, (_, i) =>
        Array.from(rows[(b * perRequest + i) % rows.length]!),
      ),
      topK: 1,
    }),
  );
  const requests = bodies.map((body) => ({ method: 'POST' as const, body }));
  const headers = { ...run.headers, 'content-type': 'application/json' };
  // A short run first, so connections, JIT and the model's placement are warm.
  await autocannon({ url, connections: CONNECTIONS, duration: 2, headers, requests, workers: 1 });
  const delay = monitorEventLoopDelay({ resolution: 1 });
  delay.enable();
  const result = await autocannon({
    url,
    connections: CONNECTIONS,
    duration: SECONDS,
    headers,
    requests,
    workers: 1,
  });
  delay.disable();
  return {
    label,
    requests: result['2xx'] / result.duration,
    instances: (result['2xx'] * perRequest) / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx,
    loopDelay: {
      p50: delay.percentile(50) / 1e6,
      p99: delay.percentile(99) / 1e6,
      max: delay.max / 1e6,
    },
  };
}

async function post<T>(url: string, body: string, type = 'application/json'): Promise<T> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { ...run.headers, 'content-type': type },
    body,
  });
  const text = await response.text();
  if (response.status >= 300) throw new Error(`POST ${url}: ${response.status} ${text}`);
  return JSON.parse(text) as T;
}

try {
  const { server, base, backend } = await listenApi(run);
  const stats = server.predictor.pool.stats();

  const cpus = os.cpus();
  console.log(
    `BENCH_SECONDS=${SECONDS} BENCH_CONNECTIONS=${CONNECTIONS} tsx ${path.relative(ROOT, fileURLToPath(import.meta.url))}`,
  );
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, TF.js backend ${backend.name} (${backend.device}); ` +
      `${stats.hosts} inference host(s), PREDICT_MAX_BATCH=${config.PREDICT_MAX_BATCH}, PREDICT_MAX_WAIT_MS=${config.PREDICT_MAX_WAIT_MS}`,
  );

  // A digits model trained through the service.
  const csv = fs.readFileSync(path.join(ROOT, 'datasets/digits-8x8.csv'), 'utf8');
  const dataset = await post<{ id: string }>(`${base}/v1/datasets?name=digits`, csv, 'text/csv');
  const trainer = await startTrainer(config);
  closers.push(() => trainer.close());
  const job = await post<{ id: string }>(
    `${base}/v1/jobs`,
    JSON.stringify({
      dataset: dataset.id,
      architecture: { type: 'cnn', inputShape: [8, 8, 1] },
      hyperparameters: { epochs: EPOCHS },
      seed: 1,
    }),
  );
  let modelId: string | null = null;
  const trainingStarted = performance.now();
  while (!modelId) {
    const view = (await (await fetch(`${base}/v1/jobs/${job.id}`, { headers: run.headers })).json()) as {
      status: string;
      modelId: string | null;
      error: unknown;
    };
    if (view.status === 'failed' || view.status === 'cancelled')
      throw new Error(`training ${view.status}: ${JSON.stringify(view.error)}`);
    modelId = view.modelId;
    if (!modelId) await sleep(200);
  }
  await trainer.close();
  const record = (await (await fetch(`${base}/v1/models/${modelId}`, { headers: run.headers })).json()) as {
    metrics: Record<string, number | null>;
    preprocessing: { standardize: { mean: number[]; std: number[] } } | null;
  };
  console.log(
    `model ${modelId}: trained in ${((performance.now() - trainingStarted) / 1000).toFixed(1)} s, val_accuracy ${record.metrics.val_accuracy?.toFixed(4) ?? '?'}`,
  );

  // Raw pixel rows, as a client sends them; the in-process loop gets them standardized, as the service feeds them.
  const rows = csv
    .trim()
    .split('\n')
    .slice(1, 513)
    .map((line) => Float32Array.from(line.split(',').slice(1).map(Number)));
  const { mean, std } = record.preprocessing!.standardize;
  const standardized = rows.map((row) =>
    row.map((v, i) => (v - mean[i % mean.length]!) / std[i % std.length]!),
  );

  const model = await new ModelStore(openStore(config)).load('default', modelId);
  const baseline = await inProcess(model, standardized);
  model.dispose();

  const url = `${base}/v1/models/${modelId}/predict`;
  // Requests still in flight when autocannon stops are answered before the counters are read.
  const settled = async () => {
    await sleep(500);
    return server.predictor.pool.stats();
  };
  const single = await overHttp(`HTTP: 1 instance/request, ${CONNECTIONS} conns`, url, rows, 1);
  const afterSingle = await settled();
  const batched = await overHttp(`HTTP: 32 instances/request, ${CONNECTIONS} conns`, url, rows, 32);
  const end = await settled();

  print([baseline, single, batched], baseline);
  const meanBatch = (from: typeof stats, to: typeof stats) =>
    ((to.instances - from.instances) / Math.max(1, to.batches - from.batches)).toFixed(1);
  console.log(
    `  mean batch: ${meanBatch(stats, afterSingle)} instances with 1 instance/request (warm-up runs included), ${meanBatch(afterSingle, end)} with 32; ` +
      `overloaded 503s: ${end.overloaded}`,
  );
  console.log(
    `  HTTP / in-process, single instance: ${(single.requests / baseline.requests).toFixed(2)}× the throughput; p99 ${single.p99.toFixed(2)} ms`,
  );
} finally {
  await cleanup();
}
