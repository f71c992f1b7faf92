/**
 * What `npm run bench:predict` trains and sends: its models (digits, Fashion-MNIST, optionally MobileNet v2), the
 * shipped Fashion-MNIST PNGs as the zip a client uploads, the MobileNet v2 base to upload, and the pixel rows a
 * client sends each model.
 */
import * as tf from '@tensorflow/tfjs';
import type { Config } from '../src/config.js';
import { DatasetStore } from '../src/datasets/dataset-store.js';
import { openStore } from '../src/store/open-store.js';
import { toModelInput, type ImageShape } from '../src/training/image-inputs.js';
import { fashionImages, zipOf } from '../test/helpers/archives.js';
import { mobileNetV2NoTop, unwrappedUpload } from '../test/helpers/mobilenet-base.js';

export const EPOCHS = Number(process.env.BENCH_EPOCHS ?? 3);
export const IMAGE_EPOCHS = Number(process.env.BENCH_IMAGE_EPOCHS ?? 10);
export const MOBILENET = process.env.BENCH_MOBILENET === '1';
const MOBILENET_SECONDS = Number(process.env.BENCH_MOBILENET_SECONDS ?? 10);
const MOBILENET_CONNECTIONS = (process.env.BENCH_MOBILENET_CONNECTIONS ?? '8').split(',').map(Number);
/** The settings above, as a command line sets them. */
export const settings = () =>
  `BENCH_EPOCHS=${EPOCHS} BENCH_IMAGE_EPOCHS=${IMAGE_EPOCHS} BENCH_MOBILENET=${MOBILENET ? 1 : 0}` +
  (MOBILENET
    ? ` BENCH_MOBILENET_SECONDS=${MOBILENET_SECONDS} BENCH_MOBILENET_CONNECTIONS=${MOBILENET_CONNECTIONS.join(',')}`
    : '');

/** A model the bench trains: its dataset, its job's fields besides the dataset and base, and its own load. */
export interface BenchModel {
  name: string;
  dataset: 'digits' | 'fashion';
  job: Record<string, unknown>;
  onMobileNet?: true;
  /** Seconds per cell and connections, where they differ from BENCH_SECONDS and BENCH_CONNECTIONS. */
  seconds?: number;
  connections?: number[];
}

export const MODELS: BenchModel[] = [
  {
    name: 'digits MLP 64-64-10',
    dataset: 'digits',
    job: { architecture: { type: 'mlp', hiddenUnits: [64] }, hyperparameters: { epochs: EPOCHS } },
  },
  {
    name: 'digits CNN [16, 32], dense 64',
    dataset: 'digits',
    job: { architecture: { type: 'cnn', inputShape: [8, 8, 1] }, hyperparameters: { epochs: EPOCHS } },
  },
  {
    name: 'Fashion-MNIST CNN [16, 32], dense 64, 28×28×1',
    dataset: 'fashion',
    job: {
      architecture: { type: 'cnn', inputShape: [28, 28, 1] },
      hyperparameters: { epochs: IMAGE_EPOCHS, learningRate: 0.003 },
    },
  },
];
// A row takes tens of milliseconds through MobileNet on a CPU: a batch of 64 would outlast a 3 s cell.
if (MOBILENET)
  MODELS.push({
    name: 'Fashion-MNIST on MobileNet v2 (frozen), 224×224×3',
    dataset: 'fashion',
    job: { hyperparameters: { epochs: IMAGE_EPOCHS } },
    onMobileNet: true,
    seconds: MOBILENET_SECONDS,
    connections: MOBILENET_CONNECTIONS,
  });

/** The fixture's 300 PNGs (10 class folders of 30), zipped as a client uploads them to POST /v1/datasets. */
export const fashionZip = async (): Promise<Buffer> => zipOf(await fashionImages());

/** The real MobileNet v2 without its top (the nsfwjs package's), as the multipart body POST /v1/models takes. */
export const mobileNetUpload = () => unwrappedUpload(mobileNetV2NoTop(), 'mobilenet v2, no top');

/** The bundled digits CSV's pixel rows, without their labels. */
export const digitRows = (csv: string) =>
  csv
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').slice(1).map(Number));

/**
 * `count` images of a stored image dataset, evenly spaced over it (so over its classes, stored in archive order),
 * each a flat row of whole pixel values 0..255 at `inputShape`: resized and given channels as training feeds
 * them to the model (bilinear, grayscale repeated into RGB), unscaled, as a client sends them.
 */
export async function imageRows(
  config: Config,
  datasetId: string,
  inputShape: number[],
  count: number,
): Promise<number[][]> {
  const images = await new DatasetStore(openStore(config)).loadImages('default', datasetId);
  const [n, h, w, c] = images.shape;
  const size = h * w * c;
  const taken = Math.min(count, n);
  const picked = Array.from({ length: taken }, (_, i) => Math.floor((i * n) / taken));
  const stored = new Float32Array(taken * size);
  picked.forEach((row, i) => stored.set(images.pixels.subarray(row * size, (row + 1) * size), i * size));
  const inputs = { imageShape: [h, w, c] as ImageShape, inputShape: inputShape as ImageShape, pixels: null };
  const values = tf.tidy(() =>
    toModelInput(tf.tensor4d(stored, [taken, h, w, c]), inputs)
      .round()
      .dataSync(),
  );
  const rowSize = values.length / taken;
  return picked.map((_, i) => Array.from(values.subarray(i * rowSize, (i + 1) * rowSize)));
}
