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
}

const size = tf.util.sizeFromShape;
const show = (shape: number[]) => `[${shape.join(', ')}]`;

/** Same-padded convolutions, each followed by a 2×2 max pool, then one Dense layer. */
export const cnn = defineArchitecture({
  type: 'cnn',
  description:
    "A convolutional network on rows reshaped to 'inputShape': a 'filters' convolution and a 2×2 max pool " +
    "per entry, then a Dense layer of 'denseUnits' and the classifier. The flattened convolution output is the " +
    "layer 'features', the default cut for transfer learning.",
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
      height = Math.ceil(height / 2);
      width = Math.ceil(width / 2);
      channels = filters;
      const pooled = height * width * channels;
      layers.push({ params: 0, outputs: pooled, flops: 4 * pooled });
    }
    const features = height * width * channels;
    layers.push({ params: 0, outputs: features, flops: 0 });
    return [...layers, ...denseBlocksCost(features, [spec.denseUnits], spec.dropout)];
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
      apply(tf.layers.maxPooling2d({ poolSize: 2, padding: 'same', name: `pool${i + 1}` }));
    });
    apply(tf.layers.flatten({ name: 'features' }));
    apply(dense(spec.denseUnits, 'relu', 'dense1', seeds));
    if (spec.dropout > 0) apply(dropout(spec.dropout, 'dropout1', seeds));
    return x;
  },
});
