/**
 * `npm run bench:train`: training throughput of the TF.js backend in use on a fixed CNN and batch size (a first,
 * cold run, then the median of three warm ones), against PyTorch's same CNN (timed the same way) when python3 can
 * import torch, and the speed-up of
 * feature caching over training a new head through the frozen base, in the same process.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveJobSpec } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { adam } from '../src/training/adam.js';
import { categoricalCrossentropy } from '../src/training/cross-entropy.js';
import { train } from '../src/training/train.js';
import { digits } from './digits.js';
import { median } from './harness.js';
import { runTorchScript, torchMissing } from './python-torch.js';

const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 5);
const BATCH = 32;
/** Timed runs after the first, as a worker that has trained before runs: on both sides, their median counts. */
const WARM_RUNS = 3;

const backend = await selectBackend((process.env.TFJS_BACKEND as 'auto' | undefined) ?? 'auto');
const low = await digits((label) => Number(label) < 5);
const high = await digits((label) => Number(label) >= 5);
const noValidation = { split: 0 };

/** With BENCH_KERNELS=1: the kernels that take the time in one training step (batch of BATCH rows, the service's Adam and loss). */
async function printKernelBreakdown(model: tf.LayersModel, inputShape: number[], classes: number) {
  const optimizer = adam(0.001, 0.9, 0.999, 1e-7);
  model.compile({ optimizer, loss: categoricalCrossentropy });
  const [x, y] = tf.tidy(() => [
    tf.tensor(low.data.features.slice(0, BATCH * 64), [BATCH, ...inputShape]),
    tf.oneHot(tf.tensor1d(Int32Array.from(low.data.labelIndex.subarray(0, BATCH)), 'int32'), classes),
  ]);
  const steps = 20;
  for (let i = 0; i < 5; i++) await model.trainOnBatch(x, y);
  const profile = await tf.profile(async () => {
    for (let i = 0; i < steps; i++) await model.trainOnBatch(x, y);
  });
  const byKernel = new Map<string, number>();
  for (const k of profile.kernels) byKernel.set(k.name, (byKernel.get(k.name) ?? 0) + Number(k.kernelTimeMs));
  const total = [...byKernel.values()].reduce((sum, ms) => sum + ms, 0);
  console.log(
    `  kernels per step: ${profile.kernels.length / steps}, ${(total / steps).toFixed(2)} ms; the top ones:`,
  );
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1]).slice(0, 8))
    console.log(`    ${name.padEnd(28)} ${(ms / steps).toFixed(3)} ms`);
  tf.dispose([x, y]);
  optimizer.dispose();
}

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, (performance.now() - started) / 1000];
}

// 1. A fixed CNN from scratch: samples per second through forward and backward passes.
async function trainBase(filters: number[], denseUnits: number, epochs: number) {
  const spec = resolveJobSpec(
    {
      dataset: 'ds_bench',
      architecture: { type: 'cnn', inputShape: [8, 8, 1], filters, denseUnits },
      hyperparameters: { epochs, batchSize: BATCH },
      seed: 1,
    },
    () => 1,
  );
  spec.validation = noValidation;
  const [result, seconds] = await timed(() =>
    train({ spec, featureShape: [64], labels: low.labels, data: low.data }),
  );
  const files = await ModelStore.serialize(result.model, {});
  return { files, seconds, result };
}

function loadBase(files: Map<string, Uint8Array | string>) {
  const json = JSON.parse(files.get('model.json') as string) as {
    modelTopology: object;
    weightsManifest: tf.io.WeightsManifestConfig;
  };
  const weights = files.get('weights.bin') as Uint8Array;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: weights.slice().buffer,
    }),
  );
}

// 2. Transfer to 5–9 with the base frozen, with and without feature caching.
const TRANSFER_EPOCHS = EPOCHS * 4;
const transferSpec = resolveJobSpec(
  {
    dataset: 'ds_bench',
    baseModel: 'mdl_bench',
    hyperparameters: { epochs: TRANSFER_EPOCHS, batchSize: BATCH },
    seed: 1,
  },
  () => 1,
);
transferSpec.validation = noValidation;
async function runTransfer(files: Map<string, Uint8Array | string>, featureCaching: boolean) {
  const base = await loadBase(files);
  const [result, seconds] = await timed(() =>
    train({
      spec: transferSpec,
      featureShape: [64],
      labels: high.labels,
      data: high.data,
      base,
      featureCaching,
    }),
  );
  const accuracy = result.evaluation?.accuracy ?? Number.NaN;
  result.dispose();
  return { seconds, accuracy };
}

const rate = (rows: number, epochs: number, seconds: number) => ((rows * epochs) / seconds).toFixed(0);

/**
 * PyTorch's same CNN from scratch (bench/train-torch.py) on the same rows (pixels × 1/16), epochs, batch size and
 * Adam, the median of its warm runs, against the service's; said so when python3 cannot import torch.
 */
function printTorch(
  base: { filters: number[]; dense: number; epochs: number },
  ours: number,
  absent: string | null,
) {
  if (absent) return console.log(`  PyTorch: skipped, python3 cannot import torch (${absent})`);
  const torch = runTorchScript<{ version: string; threads: number; seconds: number; accuracy: number }>(
    'train-torch.py',
    {
      x: Array.from(low.data.features, (v) => v / 16),
      y: Array.from(low.data.labelIndex),
      classes: low.labels.length,
      filters: base.filters,
      denseUnits: base.dense,
      dropout: 0.25,
      epochs: base.epochs,
      batchSize: BATCH,
      learningRate: 0.001,
      seed: 1,
      warmRuns: WARM_RUNS,
    },
  );
  if ('skipped' in torch) return console.log(`  PyTorch: skipped, ${torch.skipped}`);
  console.log(
    `  PyTorch ${torch.version}, the faster of 1 and 2 threads (${torch.threads}), warm, the median of ${WARM_RUNS} runs after one: ${torch.seconds.toFixed(2)} s, ${rate(low.rows, base.epochs, torch.seconds)} samples/s, train accuracy ${torch.accuracy.toFixed(3)}; the service's warm run ${(torch.seconds / ours).toFixed(2)}× PyTorch's speed`,
  );
}
console.log(`backend: ${backend.name} (${backend.device}), batch size ${BATCH}`);

const bases = [
  { name: 'cnn [16, 32] dense 64', filters: [16, 32], dense: 64, epochs: EPOCHS },
  { name: 'cnn [64, 128] dense 128', filters: [64, 128], dense: 128, epochs: 2 },
];
const torchAbsent = torchMissing();
for (const base of bases) {
  const { files, seconds, result } = await trainBase(base.filters, base.dense, base.epochs);
  console.log(
    `\n${base.name} from scratch, ${low.rows} rows × ${base.epochs} epochs: ${seconds.toFixed(2)} s, ${rate(low.rows, base.epochs, seconds)} samples/s`,
  );
  const warm: number[] = [];
  for (let run = 0; run < WARM_RUNS; run++) {
    const again = await trainBase(base.filters, base.dense, base.epochs);
    again.result.dispose();
    warm.push(again.seconds);
  }
  const warmSeconds = median(warm);
  console.log(
    `  warm, the median of ${WARM_RUNS} more runs (${warm.map((s) => s.toFixed(2)).join(', ')} s): ${warmSeconds.toFixed(2)} s, ${rate(low.rows, base.epochs, warmSeconds)} samples/s`,
  );
  printTorch(base, warmSeconds, torchAbsent);
  if (process.env.BENCH_KERNELS)
    await printKernelBreakdown(result.model, result.inputShape, low.labels.length);
  result.dispose();
  const through = await runTransfer(files, false);
  const cached = await runTransfer(files, true);
  for (const [label, run] of [
    ['through the frozen base', through],
    ['on cached features', cached],
  ] as const) {
    console.log(
      `  new head ${label}, ${high.rows} rows × ${TRANSFER_EPOCHS} epochs: ${run.seconds.toFixed(2)} s, ${rate(high.rows, TRANSFER_EPOCHS, run.seconds)} samples/s, train accuracy ${run.accuracy.toFixed(3)}`,
    );
  }
  console.log(`  feature caching speed-up: ${(through.seconds / cached.seconds).toFixed(2)}×`);
}
console.log(`\ntensors left: ${tf.memory().numTensors}`);
