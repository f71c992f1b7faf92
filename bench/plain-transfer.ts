/**
 * The transfer recipe as a plain TF.js script writes it, for bench:image-training to hold the service against:
 * every fifth image of each class held out, images resized to 224×224 and repeated into RGB in chunks, scaled
 * the base's way, the frozen base's features computed once, then global average pooling, Dense(128, relu),
 * dropout 0.2 and softmax, trained with Adam.
 */
import * as tf from '@tensorflow/tfjs';
import type { PixelScaling } from '../src/models/preprocessing.js';

interface Images {
  featureShape: number[];
  labels: string[];
  data: { features: Float32Array; labelIndex: Uint32Array };
}

const CHUNK = 64;

export async function plainTransfer(
  base: tf.LayersModel,
  cut: string,
  { featureShape, labels, data }: Images,
  { epochs, pixels }: { epochs: number; pixels: PixelScaling },
): Promise<{ accuracy: number; rows: number; seconds: number }> {
  const started = performance.now();
  const [h, w, c] = featureShape as [number, number, number];
  const [H, W] = base.inputs[0]!.shape.slice(1, 3) as [number, number];
  const extractor = tf.model({ inputs: base.inputs, outputs: base.getLayer(cut).output });
  const seen = new Map<number, number>();
  const split = { train: [] as number[], test: [] as number[] };
  data.labelIndex.forEach((label, row) => {
    const n = seen.get(label) ?? 0;
    seen.set(label, n + 1);
    (n % 5 === 4 ? split.test : split.train).push(row);
  });
  const embed = async (rows: number[]) => {
    const parts: tf.Tensor[] = [];
    for (let start = 0; start < rows.length; start += CHUNK) {
      const chunk = rows.slice(start, start + CHUNK);
      const values = new Float32Array(chunk.length * h * w * c);
      chunk.forEach((row, i) =>
        values.set(data.features.subarray(row * h * w * c, (row + 1) * h * w * c), i * h * w * c),
      );
      parts.push(
        tf.tidy(() => {
          let x = tf.image.resizeBilinear(tf.tensor4d(values, [chunk.length, h, w, c]), [H, W], false, true);
          if (c === 1) x = tf.tile(x, [1, 1, 1, 3]);
          return extractor.predict(x.mul(pixels.scale).add(pixels.offset)) as tf.Tensor;
        }),
      );
      await new Promise((resolve) => setImmediate(resolve));
    }
    const all = tf.concat(parts);
    tf.dispose(parts);
    return all;
  };
  const oneHot = (rows: number[]) =>
    tf.tidy(() =>
      tf.oneHot(
        tf.tensor1d(
          rows.map((row) => data.labelIndex[row]!),
          'int32',
        ),
        labels.length,
      ),
    );
  const [trainX, testX] = [await embed(split.train), await embed(split.test)];
  const [trainY, testY] = [oneHot(split.train), oneHot(split.test)];
  const head = tf.sequential({
    layers: [
      tf.layers.globalAveragePooling2d({ inputShape: trainX.shape.slice(1) }),
      tf.layers.dense({ units: 128, activation: 'relu' }),
      tf.layers.dropout({ rate: 0.2 }),
      tf.layers.dense({ units: labels.length, activation: 'softmax' }),
    ],
  });
  const optimizer = tf.train.adam(1e-3);
  head.compile({ optimizer, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
  await head.fit(trainX, trainY, { epochs, batchSize: 32, shuffle: true, verbose: 0 });
  const accuracy = tf.tidy(
    () => (head.predict(testX) as tf.Tensor).argMax(-1).equal(testY.argMax(-1)).mean().dataSync()[0]!,
  );
  tf.dispose([trainX, testX, trainY, testY]);
  head.dispose();
  optimizer.dispose();
  return { accuracy, rows: split.test.length, seconds: (performance.now() - started) / 1000 };
}
