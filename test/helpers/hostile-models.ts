import { multipartBody } from './multipart.js';
import type { SavedModel } from './tf-model.js';

/** A weight as a manifest declares it; `fill` gives its stored values (0.1 unless told). */
export interface Weight {
  name: string;
  shape: number[];
  fill?: (index: number) => number;
}

export interface Upload {
  payload: Buffer;
  contentType: string;
}

/** A model.json written by hand, with its weights in one float32 weights.bin as the manifest lays them out. */
export function handMadeFiles(modelTopology: object, weights: Weight[]): Map<string, string | Buffer> {
  const count = (shape: number[]) => shape.reduce((n, d) => n * d, 1);
  const data = new Float32Array(weights.reduce((n, w) => n + count(w.shape), 0));
  let offset = 0;
  for (const weight of weights) {
    for (let i = 0; i < count(weight.shape); i++) data[offset + i] = weight.fill?.(i) ?? 0.1;
    offset += count(weight.shape);
  }
  const specs = weights.map(({ name, shape }) => ({ name, shape, dtype: 'float32' }));
  const json = {
    format: 'layers-model',
    modelTopology,
    weightsManifest: weights.length === 0 ? [] : [{ paths: ['weights.bin'], weights: specs }],
  };
  const files = new Map<string, string | Buffer>([['model.json', JSON.stringify(json)]]);
  if (weights.length > 0) files.set('weights.bin', Buffer.from(data.buffer));
  return files;
}

/** The multipart upload of {@link handMadeFiles}. */
export function handMade(modelTopology: object, weights: Weight[]): Upload {
  const files = handMadeFiles(modelTopology, weights);
  return multipartBody([...files].map(([name, data]) => ({ name, filename: name, data })));
}

/** A Sequential topology of `layers` ({class_name, config}); the first should declare its input. */
export const sequential = (layers: object[]) => ({
  class_name: 'Sequential',
  config: { name: 'seq', layers },
});

/** A functional layer: its config carries its name, as Keras and TF.js write it. */
export const layer = (
  name: string,
  className: string,
  config: Record<string, unknown>,
  inbound: Array<Array<[string, number, number]>>,
) => ({
  name,
  class_name: className,
  config: { ...config, name },
  inbound_nodes: inbound.map((node) => node.map((ref) => [...ref, {}])),
});

export const input = (name: string, shape: Array<number | null>) =>
  layer(name, 'InputLayer', { batch_input_shape: shape, dtype: 'float32' }, []);

/** A functional ('Model') topology. */
export const functional = (
  layers: object[],
  inputs: Array<[string, number, number]>,
  outputs: Array<[string, number, number]>,
) => ({
  class_name: 'Model',
  config: { name: 'fn', layers, input_layers: inputs, output_layers: outputs },
});

/** A saved model's upload with one stored float32 value replaced: `weight` by name, at `index` within it. */
export function poisoned(saved: SavedModel, weight: string, index: number, value: number): Upload {
  const specs = saved.json.weightsManifest[0]!.weights;
  let offset = 0;
  for (const spec of specs) {
    if (spec.name === weight) break;
    offset += spec.shape.reduce((n, d) => n * d, 1);
  }
  const weights = Buffer.from(saved.weights);
  weights.writeFloatLE(value, (offset + index) * 4);
  return multipartBody([
    { name: 'model', filename: 'model.json', data: JSON.stringify(saved.json) },
    { name: 'weights', filename: 'weights.bin', data: weights },
  ]);
}

/** A Sequential chain of `count` one-unit Dense layers, each with its one weight. */
export function denseChain(count: number): [object, Weight[]] {
  const layers = Array.from({ length: count }, (_, i) => ({
    class_name: 'Dense',
    config: {
      units: 1,
      use_bias: false,
      name: `d${i}`,
      ...(i === 0 ? { batch_input_shape: [null, 1] } : {}),
    },
  }));
  return [sequential(layers), layers.map((_, i) => ({ name: `d${i}/kernel`, shape: [1, 1] }))];
}
