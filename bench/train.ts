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
const low = digits((label) => Number(label) < 5);
const high = digits((label) => Number(label) >= 5);
const noValidation = { split: 0 };

async function timed<T>(run: () => Promise<T>): Promise<[T, number]> {
  const started = performance.now();
  const result = await run();
  return [result, (performance.now() - started) / 1000];
}

// 1. A fixed CNN from scratch: samples per second through forward and backward passes.
const cnnSpec = resolveJobSpec(
  {
    dataset: 'ds_bench',
    architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [16, 32], denseUnits: 64 },
    hyperparameters: { epochs: EPOCHS, batchSize: BATCH },
    seed: 1,
  },
  () => 1,
);
cnnSpec.validation = noValidation;
const [cnn, cnnSeconds] = await timed(() =>
  train({ spec: cnnSpec, featureShape: [64], labels: low.labels, data: low.data }),
);
const baseFiles = await ModelStore.serialize(cnn.model, {});
cnn.dispose();

const loadBase = async () => {
  const json = JSON.parse(baseFiles.get('model.json') as string) as {
    modelTopology: object;
    weightsManifest: tf.io.WeightsManifestConfig;
  };
  const weights = baseFiles.get('weights.bin') as Uint8Array;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: weights.slice().buffer,
    }),
  );
};

// 2. Transfer to 5–9 with the base frozen, with and without feature caching.
const transferSpec = resolveJobSpec(
  {
    dataset: 'ds_bench',
    baseModel: 'mdl_bench',
    hyperparameters: { epochs: EPOCHS * 4, batchSize: BATCH },
    seed: 1,
  },
  () => 1,
);
transferSpec.validation = noValidation;
const runTransfer = async (featureCaching: boolean) => {
  const base = await loadBase();
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
};
const through = await runTransfer(false);
const cached = await runTransfer(true);

const rate = (rows: number, epochs: number, seconds: number) => ((rows * epochs) / seconds).toFixed(0);
console.log(`backend: ${backend.name} (${backend.device}), batch size ${BATCH}`);
console.log(
  `cnn from scratch     ${low.rows} rows × ${EPOCHS} epochs: ${cnnSeconds.toFixed(2)} s, ${rate(low.rows, EPOCHS, cnnSeconds)} samples/s`,
);
console.log(
  `transfer, no caching ${high.rows} rows × ${EPOCHS * 4} epochs: ${through.seconds.toFixed(2)} s, ${rate(high.rows, EPOCHS * 4, through.seconds)} samples/s, train accuracy ${through.accuracy.toFixed(3)}`,
);
console.log(
  `transfer, cached     ${high.rows} rows × ${EPOCHS * 4} epochs: ${cached.seconds.toFixed(2)} s, ${rate(high.rows, EPOCHS * 4, cached.seconds)} samples/s, train accuracy ${cached.accuracy.toFixed(3)}`,
);
console.log(`feature caching speed-up: ${(through.seconds / cached.seconds).toFixed(2)}×`);
console.log(`tensors left: ${tf.memory().numTensors}`);
