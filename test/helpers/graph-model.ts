import type { ModelJson } from '../../src/models/model-store.js';
import type { UnwrappedModel } from './nsfwjs-models.js';

const dims = (...sizes: number[]) => ({ dim: sizes.map((size) => ({ size: String(size) })) });
const float = { type: 'DT_FLOAT' };

/**
 * A GraphModel as the TF.js converter writes one, small enough to write by hand: `inputs` values in, a MatMul
 * with fixed weights, then a softmax over `outputs` classes.
 */
export function tinyGraphModel(inputs: number, outputs: number): UnwrappedModel {
  const modelJson: ModelJson = {
    format: 'graph-model',
    generatedBy: '2.15.0',
    convertedBy: 'TensorFlow.js Converter v4.22.0',
    modelTopology: {
      node: [
        { name: 'x', op: 'Placeholder', attr: { dtype: float, shape: { shape: dims(-1, inputs) } } },
        {
          name: 'w',
          op: 'Const',
          attr: {
            dtype: float,
            value: { tensor: { dtype: 'DT_FLOAT', tensorShape: dims(inputs, outputs) } },
          },
        },
        {
          name: 'logits',
          op: 'MatMul',
          input: ['x', 'w'],
          attr: { T: float, transpose_a: { b: false }, transpose_b: { b: false } },
        },
        { name: 'probabilities', op: 'Softmax', input: ['logits'], attr: { T: float } },
        { name: 'Identity', op: 'Identity', input: ['probabilities'], attr: { T: float } },
      ],
      versions: { producer: 1 },
    },
    weightsManifest: [
      {
        paths: ['group1-shard1of1.bin'],
        weights: [{ name: 'w', shape: [inputs, outputs], dtype: 'float32' }],
      },
    ],
  };
  const weights = Float32Array.from({ length: inputs * outputs }, (_, i) => ((i % 7) - 3) / 10);
  return {
    modelJson,
    files: new Map([
      ['model.json', Buffer.from(JSON.stringify(modelJson))],
      ['group1-shard1of1.bin', Buffer.from(weights.buffer)],
    ]),
  };
}
