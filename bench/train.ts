/**
 * `npm run bench:train`: training throughput of the TF.js backend in use on a fixed CNN and batch size, and the
 * speed-up of feature caching over training a new head through the frozen base, in the same process.
 */
import * as tf from '@tensorflow/tfjs';
import { resolveJobSpec } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { train } from '../src/training/train.js';
import { digits } from './digits.js';

const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 5);
const BATCH = 32;

const backend = await selectBackend((process.env.TFJS_BACKEND as 'auto' | undefined) ?? 'auto');
const low = await digits((label) => Number(label) < 5);
const high = await digits((label) => Number(label) >= 5);
const noValidation = { split: 0 };

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
  result.dispose();
  return { files, seconds };
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
console.log(`backend: ${backend.name} (${backend.device}), batch size ${BATCH}`);

const bases = [
  { name: 'cnn [16, 32] dense 64', filters: [16, 32], dense: 64, epochs: EPOCHS },
  { name: 'cnn [64, 128] dense 128', filters: [64, 128], dense: 128, epochs: 2 },
];
for (const base of bases) {
  const { files, seconds } = await trainBase(base.filters, base.dense, base.epochs);
  console.log(
    `\n${base.name} from scratch, ${low.rows} rows × ${base.epochs} epochs: ${seconds.toFixed(2)} s, ${rate(low.rows, base.epochs, seconds)} samples/s`,
  );
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
