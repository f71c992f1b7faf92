import * as tf from '@tensorflow/tfjs';
import { Type } from 'typebox';
import { defineArchitecture } from './architecture.js';
import { dense, denseBlocksCost, dropout } from './layers.js';

export interface MlpArchitecture {
  type: 'mlp';
  hiddenUnits: number[];
  dropout: number;
}

/** Dense layers on the flattened row. */
export const mlp = defineArchitecture({
  type: 'mlp',
  description:
    "A multilayer perceptron: Dense 'hiddenUnits' layers on the flattened row, then the classifier.",
  fields: {
    hiddenUnits: Type.Optional(
      Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { minItems: 1, maxItems: 8 }),
    ),
    dropout: Type.Optional(Type.Number({ minimum: 0, maximum: 0.9 })),
  },
  resolve: (request): MlpArchitecture => ({
    type: 'mlp',
    hiddenUnits: request.hiddenUnits ?? [128],
    dropout: request.dropout ?? 0,
  }),
  checkRequest: () => {},
  // Any row shape flattens into the first Dense layer.
  checkFeatures: () => {},
  inputShape: (_spec, featureShape) => featureShape,
  costLayers: (spec, data) => {
    const inputs = tf.util.sizeFromShape(data.featureShape);
    const flatten = data.featureShape.length > 1 ? [{ params: 0, outputs: inputs, flops: 0 }] : [];
    return [...flatten, ...denseBlocksCost(inputs, spec.hiddenUnits, spec.dropout)];
  },
  lowers: () => ['hiddenUnits'],
  build: (spec, input, seeds) => {
    let x = input;
    const apply = (layer: tf.layers.Layer) => (x = layer.apply(x) as tf.SymbolicTensor);
    // The input's shape leads with the batch dimension: above two, the rows are not flat.
    if (input.shape.length > 2) apply(tf.layers.flatten({ name: 'flatten' }));
    spec.hiddenUnits.forEach((units, i) => {
      apply(dense(units, 'relu', `dense${i + 1}`, seeds));
      if (spec.dropout > 0) apply(dropout(spec.dropout, `dropout${i + 1}`, seeds));
    });
    return x;
  },
});
