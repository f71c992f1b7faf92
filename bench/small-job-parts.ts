/**
 * What `npm run bench:small-job` runs beside the service: the job's settings and data, the service's train() in
 * this process, the same transfer as a plain TF.js script writes it, and the tables they are printed in.
 */
import fs from 'node:fs';
import * as tf from '@tensorflow/tfjs';
import type { DatasetData, DatasetStore } from '../src/datasets/dataset-store.js';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import type { PixelScaling } from '../src/models/preprocessing.js';
import { ModelStore } from '../src/models/model-store.js';
import { createRng, stratifiedSplit } from '../src/training/data.js';
import { defaultCutLayer } from '../src/training/model.js';
import { train } from '../src/training/train.js';
import { median } from './harness.js';

export const SEED = 1;
export const TENANT = 'default';
export const BASE_EPOCHS = Number(process.env.BENCH_BASE_EPOCHS ?? 10);
/** The base job's settings, as bench/digits-transfer.ts trains its bases. */
export const BASE = { epochs: BASE_EPOCHS, batchSize: 32, learningRate: 0.003 };
/** The transfer job's settings, all given: left out, they are chosen at submission. */
export const TRANSFER = { epochs: 20, batchSize: 32, learningRate: 1e-3 };
export const HEAD = { hiddenUnits: [64], dropout: 0.2 };

/** A line of a table: its label, its value in one run, and the unit (default ms). */
export type Line<T> = [string, (run: T) => number, string?];

/** Prints one column per run and their median. */
export function table<T>(runs: T[], lines: Array<Line<T>>): void {
  const header = [...runs.map((_, i) => `run ${i + 1}`), 'median'].map((h) => h.padStart(8)).join('');
  console.log(`  ${''.padEnd(58)}${header}`);
  for (const [label, value, unit = 'ms'] of lines) {
    const values = runs.map(value);
    const cells = [...values, median(values)].map((v) => `${v.toFixed(0)}`.padStart(8)).join('');
    console.log(`  ${label.padEnd(58)}${cells}  ${unit}`);
  }
}

export const baseRequest = (dataset: string): JobRequest => ({
  name: 'small-job base',
  dataset,
  architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [16, 32] },
  hyperparameters: BASE,
  seed: SEED,
});

export const transferRequest = (dataset: string, baseModel: string): JobRequest => ({
  name: 'small-job transfer',
  dataset,
  baseModel,
  transfer: { head: { hiddenUnits: HEAD.hiddenUnits } },
  hyperparameters: TRANSFER,
  seed: SEED,
});

/** The bundled digits CSV with only the rows whose label `keep` accepts. */
export function digitsCsv(keep: (label: number) => boolean): string {
  const csv = fs.readFileSync(new URL('../datasets/digits-8x8.csv', import.meta.url), 'utf8');
  const [header, ...lines] = csv.trim().split('\n');
  const kept = lines.filter((line) => keep(Number(line.slice(0, line.indexOf(',')))));
  return `${header!.trim()}\n${kept.map((line) => line.trim()).join('\n')}\n`;
}

const since = (start: number) => performance.now() - start;

/** Where a stored job's data and base are, for the parts that read them from the store directly. */
export interface StoredInputs {
  datasets: DatasetStore;
  models: ModelStore;
  datasetId: string;
  baseModelId: string;
}

/**
 * The service's train() on the transfer job's stored data and its base loaded from the base's files, with hooks
 * that time the phases the job's events show; then the result serialized as a worker stores it. Milliseconds.
 */
export async function inProcessTransfer({ datasets, models, datasetId, baseModelId }: StoredInputs) {
  const loadStarted = performance.now();
  const dataset = (await datasets.get(TENANT, datasetId))!;
  const data = await datasets.load(TENANT, datasetId);
  const record = (await models.get(TENANT, baseModelId))!;
  const base = await models.load(TENANT, baseModelId);
  const load = since(loadStarted);
  const spec = resolveJobSpec(transferRequest(datasetId, baseModelId), () => SEED);
  const marks = { firstFeatures: 0, lastFeatures: 0, epochs: [] as number[] };
  const started = performance.now();
  const result = await train(
    {
      spec,
      featureShape: dataset.featureShape,
      labels: dataset.labels,
      data,
      base,
      basePreprocessing: record.preprocessing?.standardize ?? null,
      basePixels: record.preprocessing?.pixels ?? null,
    },
    {
      onProgress: async (progress) => {
        if (progress.phase !== 'features') return;
        marks.firstFeatures ||= since(started);
        marks.lastFeatures = since(started);
      },
      onEpoch: async () => void marks.epochs.push(since(started)),
    },
  );
  const trained = since(started);
  const serializeStarted = performance.now();
  await ModelStore.serialize(result.model, { finetuned: { labels: dataset.labels } });
  const serialize = since(serializeStarted);
  const accuracy = result.evaluation?.accuracy ?? Number.NaN;
  const featureCaching = result.featureCaching;
  const batches = Math.ceil(splitOf(data, dataset.labels.length).train.length / TRANSFER.batchSize);
  result.dispose();
  const [first, last] = [marks.epochs[0]!, marks.epochs.at(-1)!];
  return {
    load,
    setup: marks.firstFeatures,
    features: marks.lastFeatures - marks.firstFeatures,
    toFirstEpoch: first - marks.lastFeatures,
    loop: last - first,
    epochs: marks.epochs.length,
    batches,
    evaluation: trained - last,
    train: trained,
    serialize,
    total: load + trained + serialize,
    accuracy,
    featureCaching,
  };
}

/** The service's stratified 80/20 split of `data`, as a job with the bench's seed makes it. */
export const splitOf = (data: DatasetData, classes: number) =>
  stratifiedSplit(data.labelIndex, classes, 0.2, createRng(SEED));

/** The rows of `data` at `rows`, each value scaled as the base's preprocessing scales it. */
export function scaledRows(data: DatasetData, rows: Uint32Array, pixels: PixelScaling | null): Float32Array {
  const out = new Float32Array(rows.length * 64);
  const { scale, offset } = pixels ?? { scale: 1, offset: 0 };
  rows.forEach((row, i) => {
    for (let f = 0; f < 64; f++) out[i * 64 + f] = data.features[row * 64 + f]! * scale + offset;
  });
  return out;
}

/**
 * The same transfer as a plain TF.js script: the frozen base cut at `features`, its output computed once with
 * `predict`, Dense(64, relu), Dropout(0.2), Dense(softmax) fitted with `model.fit` and Adam, accuracy on the
 * validation rows. The rows are the service's own stratified split (its split function, the job's seed), so
 * both train and validate on the same rows. Disposes `base`. Milliseconds.
 */
export async function plainTransfer(
  base: tf.LayersModel,
  data: DatasetData,
  { classes, pixels }: { classes: number; pixels: PixelScaling | null },
) {
  if (defaultCutLayer(base) !== 'features') throw new Error('the service would cut this base elsewhere');
  const split = splitOf(data, classes);
  const started = performance.now();
  const extractor = tf.model({ inputs: base.inputs, outputs: base.getLayer('features').output });
  const embed = (rows: Uint32Array) =>
    tf.tidy(() => extractor.predict(tf.tensor4d(scaledRows(data, rows, pixels), [rows.length, 8, 8, 1])));
  const labelsOf = (rows: Uint32Array) =>
    tf.tidy(() =>
      tf.oneHot(
        tf.tensor1d(
          Int32Array.from(rows, (row) => data.labelIndex[row]!),
          'int32',
        ),
        classes,
      ),
    );
  const [x, xVal] = [embed(split.train) as tf.Tensor, embed(split.validation) as tf.Tensor];
  const [y, yVal] = [labelsOf(split.train), labelsOf(split.validation)];
  await x.data();
  const features = since(started);
  const head = tf.sequential({
    layers: [
      tf.layers.dense({ inputShape: x.shape.slice(1), units: HEAD.hiddenUnits[0]!, activation: 'relu' }),
      tf.layers.dropout({ rate: HEAD.dropout }),
      tf.layers.dense({ units: classes, activation: 'softmax' }),
    ],
  });
  const optimizer = tf.train.adam(TRANSFER.learningRate);
  head.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  const fitStarted = performance.now();
  const { epochs, batchSize } = TRANSFER;
  await head.fit(x, y, { epochs, batchSize, validationData: [xVal, yVal], shuffle: true, verbose: 0 });
  const fit = since(fitStarted);
  const evaluateStarted = performance.now();
  const accuracy = tf.tidy(
    () => (head.predict(xVal) as tf.Tensor).argMax(-1).equal(yVal.argMax(-1)).mean().dataSync()[0]!,
  );
  const evaluate = since(evaluateStarted);
  tf.dispose([x, xVal, y, yVal]);
  head.dispose();
  optimizer.dispose();
  base.dispose();
  return { features, fit, evaluate, total: features + fit + evaluate, accuracy, rows: split };
}

type OwnRun = Awaited<ReturnType<typeof inProcessTransfer>>;
type PlainRun = Awaited<ReturnType<typeof plainTransfer>>;

/** Parts 2 and 3, one column per round. */
export function printLocal(own: OwnRun[], plain: PlainRun[], pixels: PixelScaling | null): void {
  const [o] = own as [OwnRun];
  const [p] = plain as [PlainRun];
  console.log(
    `\n2. in-process, no Redis: the service's train() on the stored data and base, its hooks timing it`,
  );
  table(own, [
    ['load: dataset and base from the store', (r) => r.load],
    ['train() → first features progress (set-up)', (r) => r.setup],
    ['features, first → last progress', (r) => r.features],
    ['last features progress → epoch 1', (r) => r.toFirstEpoch],
    [`epoch 1 → epoch ${o.epochs} (the loop)`, (r) => r.loop],
    [`epoch ${o.epochs} → train() returns (evaluation)`, (r) => r.evaluation],
    ['train(), call to return', (r) => r.train],
    ['ModelStore.serialize of the result', (r) => r.serialize],
    ['total: load + train() + serialize', (r) => r.total],
    [`  per epoch of the loop (${o.batches} batches)`, (r) => r.loop / (r.epochs - 1)],
    ['  per batch', (r) => (r.loop / (r.epochs - 1) / r.batches) * 1000, 'µs'],
  ]);
  const accuracies = own.map((r) => r.accuracy.toFixed(3)).join(', ');
  console.log(`  validation accuracy ${accuracies}; feature caching ${o.featureCaching}`);
  console.log(
    `\n3. plain TF.js on the same backend: the base cut at 'features' (the service's default), predict once, ` +
      `Dense(64, relu), Dropout(0.2), Dense(5, softmax), model.fit; the service's stratified split with the job's ` +
      `seed (${p.rows.train.length} train, ${p.rows.validation.length} validation rows), pixels × ${pixels?.scale} + ${pixels?.offset}`,
  );
  table(plain, [
    ['features: tensors and predict', (r) => r.features],
    [`model.fit, ${TRANSFER.epochs} epochs`, (r) => r.fit],
    ['evaluate on the validation rows', (r) => r.evaluate],
    ['total', (r) => r.total],
    ['  per epoch of model.fit', (r) => r.fit / TRANSFER.epochs],
  ]);
  console.log(`  validation accuracy ${plain.map((r) => r.accuracy.toFixed(3)).join(', ')}`);
}
