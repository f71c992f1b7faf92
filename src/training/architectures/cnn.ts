import * as tf from '@tensorflow/tfjs';
import { Type } from 'typebox';
import { badRequest, unprocessable } from '../../errors.js';
import type { CostLayer } from '../../jobs/cost-layers.js';
import { defineArchitecture } from './architecture.js';
import { dense, denseBlocksCost, dropout } from './layers.js';

export interface CnnArchitecture {
  type: 'cnn';
  inputShape: [number, number, number];
  filters: number[];
  kernelSize: number;
  denseUnits: number;
  dropout: number;
  /** After each convolution: a 2×2 max or average pool, or none (the feature maps keep their size). */
  pooling: CnnPooling;
  /** Global average pooling after the last convolution instead of flattening its feature maps. */
  globalPooling: boolean;
}

export type CnnPooling = 'max' | 'avg' | 'none';

const size = tf.util.sizeFromShape;
const show = (shape: number[]) => `[${shape.join(', ')}]`;

/** A spec queued before pooling could be chosen max-pools, as every CNN did then. */
const poolingOf = (spec: CnnArchitecture): CnnPooling => spec.pooling ?? 'max';

/** The 2×2 pool after a convolution, or null for none. */
function poolLayer(pooling: CnnPooling, name: string): tf.layers.Layer | null {
  if (pooling === 'none') return null;
  const options = { poolSize: 2, padding: 'same' as const, name };
  return pooling === 'avg' ? tf.layers.averagePooling2d(options) : tf.layers.maxPooling2d(options);
}

/** Same-padded convolutions, each followed by the chosen 2×2 pool (or none), then one Dense layer. */
export const cnn = defineArchitecture({
  type: 'cnn',
  description:
    "A convolutional network on rows reshaped to 'inputShape': a 'filters' convolution per entry, each " +
    "followed by a 2×2 'pooling' (max, avg, or none), then a Dense layer of 'denseUnits' and the classifier. " +
    "The last convolution's output, flattened (or averaged per channel with 'globalPooling'), is the layer " +
    "'features', the default cut for transfer learning.",
  fields: {
    inputShape: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { minItems: 3, maxItems: 3 }),
    ),
    filters: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 1024 }), { minItems: 1, maxItems: 6 }),
    ),
    kernelSize: Type.Optional(Type.Integer({ minimum: 1, maximum: 11 })),
    denseUnits: Type.Optional(Type.Integer({ minimum: 1, maximum: 4096 })),
    dropout: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9 })),
    pooling: Type.Optional(
      Type.Enum(['max', 'avg', 'none'], {
        description:
          "The 2×2 pool after each convolution (default max); 'none' keeps every position, so that a cut below the last convolution keeps more of the image",
      }),
    ),
    globalPooling: Type.Optional(
      Type.Boolean({
        description:
          "Average each channel of the last convolution's output over its positions before the Dense layer, instead of flattening it (default false)",
      }),
    ),
  },
  hints: { hiddenUnits: "a cnn has 'denseUnits'" },
  resolve: (request): CnnArchitecture => ({
    type: 'cnn',
    // checkRequest refuses a request without it; the zeros never reach a model.
    inputShape: (request.inputShape ?? [0, 0, 0]) as [number, number, number],
    filters: request.filters ?? [16, 32],
    kernelSize: request.kernelSize ?? 3,
    denseUnits: request.denseUnits ?? 64,
    dropout: request.dropout ?? 0.25,
    pooling: request.pooling ?? 'max',
    globalPooling: request.globalPooling ?? false,
  }),
  checkRequest: (request) => {
    if (!request.inputShape)
      throw badRequest('invalid_job', "a 'cnn' architecture needs 'inputShape' [height, width, channels]", {
        field: '/architecture/inputShape',
      });
  },
  checkFeatures: (spec, featureShape) => {
    const featureSize = size(featureShape);
    if (size(spec.inputShape) === featureSize) return;
    throw unprocessable(
      'shape_mismatch',
      `the cnn inputShape ${show(spec.inputShape)} holds ${size(spec.inputShape)} values, but dataset rows have shape ${show(featureShape)} (${featureSize} values)`,
      { field: '/architecture/inputShape', expected: featureShape, actual: spec.inputShape },
    );
  },
  inputShape: (spec) => spec.inputShape,
  costLayers: (spec) => {
    let [height, width, channels] = spec.inputShape;
    const layers: CostLayer[] = [];
    for (const filters of spec.filters) {
      const kernel = spec.kernelSize * spec.kernelSize * channels * filters;
      layers.push({
        params: kernel + filters,
        outputs: height * width * filters,
        flops: 2 * height * width * kernel,
      });
      channels = filters;
      if (poolingOf(spec) === 'none') continue;
      height = Math.ceil(height / 2);
      width = Math.ceil(width / 2);
      const pooled = height * width * channels;
      layers.push({ params: 0, outputs: pooled, flops: 4 * pooled });
    }
    // Global average pooling reads every value of the feature maps once; flattening only reshapes them.
    const mapValues = height * width * channels;
    const features = spec.globalPooling
      ? { params: 0, outputs: channels, flops: mapValues }
      : { params: 0, outputs: mapValues, flops: 0 };
    layers.push(features);
    return [...layers, ...denseBlocksCost(features.outputs, [spec.denseUnits], spec.dropout)];
  },
  // Activations are the convolutions' outputs; kernel size and the Dense layer add weights and work only.
  lowers: (quantity) =>
    quantity === 'activationBytes' ? ['filters'] : ['filters', 'kernelSize', 'denseUnits'],
  build: (spec, input, seeds) => {
    let x = input;
    const apply = (layer: tf.layers.Layer) => (x = layer.apply(x) as tf.SymbolicTensor);
    spec.filters.forEach((filters, i) => {
      apply(
        tf.layers.conv2d({
          filters,
          kernelSize: spec.kernelSize,
          padding: 'same',
          activation: 'relu',
          name: `conv${i + 1}`,
          kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.take() }),
        }),
      );
      const pool = poolLayer(poolingOf(spec), `pool${i + 1}`);
      if (pool) apply(pool);
    });
    apply(
      spec.globalPooling
        ? tf.layers.globalAveragePooling2d({ name: 'features' })
        : tf.layers.flatten({ name: 'features' }),
    );
    apply(dense(spec.denseUnits, 'relu', 'dense1', seeds));
    if (spec.dropout > 0) apply(dropout(spec.dropout, 'dropout1', seeds));
    return x;
  },
});
