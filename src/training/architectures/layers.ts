import * as tf from '@tensorflow/tfjs';
import type { CostLayer } from '../../jobs/cost-layers.js';
import type { SeedSequence } from '../model.js';

/** A Dense layer whose kernel is drawn from the job's seed sequence, so the same seed builds the same weights. */
export function dense(
  units: number,
  activation: 'relu' | 'softmax' | 'linear',
  name: string,
  seeds: SeedSequence,
): tf.layers.Layer {
  return tf.layers.dense({
    units,
    activation,
    name,
    kernelInitializer: tf.initializers.glorotUniform({ seed: seeds.take() }),
    biasInitializer: 'zeros',
  });
}

/** A Dropout layer seeded from the job's seed sequence (see seedDropoutPerStep for why masks still vary). */
export function dropout(rate: number, name: string, seeds: SeedSequence): tf.layers.Layer {
  return tf.layers.dropout({ rate, name, seed: seeds.take() });
}

/** A Dense layer as the cost estimate sees it: two operations per weight. */
export function denseCost(inputs: number, units: number): CostLayer {
  const params = inputs * units + units;
  return { params, outputs: units, flops: 2 * params };
}

/** Dense blocks of `units`, each with a dropout mask when dropout > 0, as the estimate sees them. */
export function denseBlocksCost(inputs: number, units: number[], dropout: number): CostLayer[] {
  const layers: CostLayer[] = [];
  let width = inputs;
  for (const n of units) {
    layers.push(denseCost(width, n));
    if (dropout > 0) layers.push({ params: 0, outputs: n, flops: n });
    width = n;
  }
  return layers;
}
