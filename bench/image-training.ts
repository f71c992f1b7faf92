/**
 * `npm run bench:image-training`: training on the shipped Fashion-MNIST PNGs (300 pictures, 10 classes, 28×28
 * grayscale, parsed by the service's zip format), in this process on the TF.js backend in use; held-out accuracy
 * (the stratified 20% the service holds out) and wall time of:
 * 1. a CNN from scratch on all ten classes;
 * 2. transfer 5→5: a CNN base trained on five classes, a new head on the other five (and with a fine-tune phase);
 * 3. the real MobileNet v2 (the nsfwjs package's, cut below its classifier), images upsampled to 224×224×3:
 *    embedding throughput of the frozen base, a whole transfer job against the same recipe written as a plain
 *    TF.js script (ratio), and what augmentation costs when the features can no longer be cached.
 * BENCH_MOBILENET_ROWS (default 300) images go through MobileNet; BENCH_AUGMENT_ROWS (default 100) for
 * augmentation.
 */
import * as tf from '@tensorflow/tfjs';
import { loadConfig } from '../src/config.js';
import { estimateJobCost, jobBudget } from '../src/jobs/job-cost.js';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { describeLayers, ModelStore } from '../src/models/model-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { onImages } from '../src/training/image-inputs.js';
import { defaultCutLayer, disposeModels } from '../src/training/model.js';
import { embedRows } from '../src/training/phases.js';
import { train, type TrainingInput } from '../src/training/train.js';
import { fashionClasses } from '../test/helpers/archives.js';
import { fashionData, type ImageTrainingData } from '../test/helpers/fashion-data.js';
import { MOBILENET_CUT, MOBILENET_PIXELS, mobileNetV2NoTop } from '../test/helpers/mobilenet-base.js';
import type { UnwrappedModel } from '../test/helpers/nsfwjs-models.js';
import { loadSerialized } from '../test/helpers/tf-model.js';
import { plainTransfer } from './plain-transfer.js';

const MOBILENET_ROWS = Number(process.env.BENCH_MOBILENET_ROWS ?? 300);
const AUGMENT_ROWS = Number(process.env.BENCH_AUGMENT_ROWS ?? 100);
const LOW = ['ankle-boot', 'bag', 'coat', 'dress', 'pullover'];
const CNN: JobRequest['architecture'] = {
  type: 'cnn',
  inputShape: [28, 28, 1],
  filters: [16, 32],
  denseUnits: 64,
};

const backend = await selectBackend((process.env.TFJS_BACKEND as 'auto' | undefined) ?? 'auto');
const config = loadConfig({}, {});
const CLASSES = await fashionClasses();
const HIGH = CLASSES.filter((label) => !LOW.includes(label));
/** The fixture's images of every class, the first `rows / 10` of each. */
const firstOfEach = (rows: number) => fashionData(CLASSES, Math.ceil(rows / CLASSES.length));

/**
 * Trains a job on `data` as the worker does (prediction chunks sized to the default job budget), timed; returns
 * the result, which the caller disposes.
 */
async function job(
  data: ImageTrainingData,
  request: Omit<JobRequest, 'dataset'>,
  extra: Partial<TrainingInput> = {},
) {
  const spec = resolveJobSpec({ dataset: 'ds_bench', seed: 1, ...request }, () => 1);
  const { base } = extra;
  const rows = data.data.labelIndex.length;
  const shape = {
    featureShape: base?.inputs[0]!.shape.slice(1) as number[],
    classes: data.labels.length,
    rows,
  };
  const summary = base && { layers: describeLayers(base), defaultCutLayer: defaultCutLayer(base) };
  const predictChunkRows = base
    ? estimateJobCost(spec, shape, summary, jobBudget(config)).predictChunkRows
    : undefined;
  const started = performance.now();
  const result = await train({ spec, ...data, predictChunkRows, ...extra });
  return { result, seconds: (performance.now() - started) / 1000 };
}

const report = (name: string, accuracy: number, rows: number, seconds: number) =>
  console.log(
    `${name.padEnd(58)} held-out accuracy ${accuracy.toFixed(3)} (${rows} images)  ${seconds.toFixed(1)} s`,
  );

function loadModel(model: UnwrappedModel): Promise<tf.LayersModel> {
  const [group] = model.modelJson.weightsManifest;
  const weights = model.files.get(group!.paths[0]!)!;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: model.modelJson.modelTopology,
      weightSpecs: group!.weights,
      weightData: new Uint8Array(weights).buffer,
    }),
  );
}

async function fromScratch(): Promise<void> {
  const all = await fashionData(CLASSES);
  const { result, seconds } = await job(all, {
    architecture: CNN,
    hyperparameters: { epochs: 10, learningRate: 0.003 },
  });
  report(
    '1. CNN from scratch, 10 classes, 10 epochs',
    result.evaluation!.accuracy,
    result.evaluation!.rows,
    seconds,
  );
  result.dispose();
}

async function transferFiveToFive(): Promise<void> {
  const [low, high] = await Promise.all([fashionData(LOW), fashionData(HIGH)]);
  const base = await job(low, { architecture: CNN, hyperparameters: { epochs: 10, learningRate: 0.003 } });
  report(
    '2. base CNN on five classes, 10 epochs',
    base.result.evaluation!.accuracy,
    base.result.evaluation!.rows,
    base.seconds,
  );
  const files = await ModelStore.serialize(base.result.model, {});
  base.result.dispose();
  const pixels = { scale: 1 / 255, offset: 0 };
  for (const fineTune of [undefined, { epochs: 2, unfreeze: 2, learningRate: 1e-4 }]) {
    const baseModel = await loadSerialized(files);
    const request = {
      baseModel: 'mdl_bench',
      hyperparameters: { epochs: 10, learningRate: 0.003, fineTune },
    };
    const { result, seconds } = await job(high, request, { base: baseModel, basePixels: pixels });
    const name = `   head on the other five, 10 epochs${fineTune ? ', then 2 fine-tuning the top 2' : ''}`;
    report(name, result.evaluation!.accuracy, result.evaluation!.rows, seconds);
    result.dispose();
  }
}

async function mobileNet(): Promise<void> {
  const files = mobileNetV2NoTop();
  const data = await firstOfEach(MOBILENET_ROWS);
  const rows = data.data.labelIndex.length;

  // Embedding throughput: the frozen base on stored 28×28 images, each chunk resized to 224×224×3 and scaled.
  const base = await loadModel(files);
  const extractor = onImages(base, {
    imageShape: [28, 28, 1],
    inputShape: [224, 224, 3],
    pixels: MOBILENET_PIXELS,
  });
  const x = tf.tensor(data.data.features, [rows, 28, 28, 1]);
  for (const chunkRows of [16, 64]) {
    const started = performance.now();
    const features = await embedRows(extractor, x, { chunkRows });
    const seconds = (performance.now() - started) / 1000;
    console.log(
      `3. MobileNet v2 embedding, chunks of ${chunkRows}: ${rows} images in ${seconds.toFixed(1)} s, ${(rows / seconds).toFixed(1)} images/s, features ${features.shape.join('×')}`,
    );
    features.dispose();
  }
  x.dispose();
  disposeModels(base);

  // A whole job against the same recipe as a plain script: frozen base, GAP, Dense(128, relu), softmax, Adam.
  const request = { baseModel: 'mdl_bench', hyperparameters: { epochs: 10 } };
  const service = await job(data, request, { base: await loadModel(files), basePixels: MOBILENET_PIXELS });
  report(
    '   transfer job (frozen base, 10 epochs)',
    service.result.evaluation!.accuracy,
    service.result.evaluation!.rows,
    service.seconds,
  );
  service.result.dispose();
  const plainBase = await loadModel(files);
  const plain = await plainTransfer(plainBase, MOBILENET_CUT, data, { epochs: 10, pixels: MOBILENET_PIXELS });
  disposeModels(plainBase);
  report('   the same recipe as a plain TF.js script', plain.accuracy, plain.rows, plain.seconds);
  console.log(`   job / plain script: ${(service.seconds / plain.seconds).toFixed(2)}× the wall time`);
}

async function augmentationCost(): Promise<void> {
  const files = mobileNetV2NoTop();
  const data = await firstOfEach(AUGMENT_ROWS);
  const epochs = 3;
  const times: number[] = [];
  for (const augmentation of [undefined, { flip: 'horizontal' as const, shift: 0.1, brightness: 0.2 }]) {
    const request = { baseModel: 'mdl_bench', augmentation, hyperparameters: { epochs } };
    const { result, seconds } = await job(data, request, {
      base: await loadModel(files),
      basePixels: MOBILENET_PIXELS,
    });
    times.push(seconds);
    const name = `4. cost: ${epochs} epochs, ${augmentation ? 'augmented, features every epoch' : 'features cached once'}`;
    report(name, result.evaluation!.accuracy, result.evaluation!.rows, seconds);
    result.dispose();
  }
  const [cached, augmented] = times as [number, number];
  console.log(
    `   augmentation with a frozen base: ${(augmented / cached).toFixed(2)}× the wall time, +${((augmented - cached) / (epochs - 1)).toFixed(1)} s per further epoch on ${data.data.labelIndex.length} images`,
  );
}

console.log(`backend: ${backend.name} (${backend.device}); the shipped Fashion-MNIST fixture, 300 PNGs`);
await fromScratch();
await transferFiveToFive();
await mobileNet();
await augmentationCost();
console.log(`tensors left: ${tf.memory().numTensors}`);
