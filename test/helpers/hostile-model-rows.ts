import {
  denseChain,
  functional,
  handMade,
  input,
  layer,
  poisoned,
  sequential,
  type Upload,
} from './hostile-models.js';
import type { SavedModel } from './tf-model.js';

const MiB = 1024 * 1024;
// Low enough that a model building a 576 MB weight in its probe process passes it, yet above what TF.js needs.
export const PROBE_MAX_BYTES = 512 * MiB;
export const MAX_PARAMS = 1_000_000;

/** The example, byte for byte: a functional model whose only layer takes input from a layer not there. */
const MISSING_INBOUND =
  '{"class_name":"Model","config":{"name":"x","layers":[{"class_name":"Dense","name":"d","config":{"units":2,"name":"d"},"inbound_nodes":[[["nope",0,0,{}]]]}],"input_layers":[["nope",0,0]],"output_layers":[["d",0,0]]}}';

const dense = (name: string, units: number, inbound: Array<[string, number, number]>) =>
  layer(name, 'Dense', { units }, [inbound]);
/** A functional model without weights: an input of two values into `layers`, and `output`. */
const graph = (layers: object[], output: [string, number, number]) =>
  handMade(functional([input('in', [null, 2]), ...layers], [['in', 0, 0]], [output]), []);
/** A layer that would build a weight of `units`² values, with a manifest of a few. */
const wide = (units: number) => ({
  class_name: 'Dense',
  config: { units, name: 'big', batch_input_shape: [null, units] },
});
const tinyDense = [
  { name: 'big/kernel', shape: [16, 16] },
  { name: 'big/bias', shape: [16] },
];
/** A valid model of one 16-unit Dense layer, the size the manifests of the rows below pretend to. */
export const validDense = () => handMade(sequential([wide(16)]), tinyDense);
/** A recurrent layer, whose weights only TF.js knows how to shape: it builds them before it compares. */
const rnn = (units: number) =>
  sequential([
    {
      class_name: 'SimpleRNN',
      config: { units, name: 'rnn', batch_input_shape: [null, 2, 4] },
    },
  ]);
const tinyRnn = [
  { name: 'rnn/kernel', shape: [4, 4] },
  { name: 'rnn/recurrent_kernel', shape: [4, 4] },
  { name: 'rnn/bias', shape: [4] },
];

export interface HostileModel {
  name: string;
  upload: (saved: SavedModel) => Upload;
  code: string;
  /** Extension members the problem must carry, naming what was wrong. */
  expect?: Record<string, unknown>;
}

/** Uploads that once hung, exhausted or broke the API, each with the 422 it now gets. */
export const HOSTILE_MODELS: HostileModel[] = [
  {
    name: 'an inbound node naming a layer that does not exist (the 279-byte model.json)',
    upload: () => handMade(JSON.parse(MISSING_INBOUND) as object, []),
    code: 'invalid_topology',
    expect: { layer: 'd', file: 'model.json' },
  },
  {
    name: 'two layers taking input from each other',
    upload: () => graph([dense('a', 2, [['b', 0, 0]]), dense('b', 2, [['a', 0, 0]])], ['b', 0, 0]),
    code: 'invalid_topology',
    expect: { layer: 'a' },
  },
  {
    name: 'a layer taking input from itself',
    upload: () => graph([dense('a', 2, [['a', 0, 0]])], ['a', 0, 0]),
    code: 'invalid_topology',
    expect: { layer: 'a' },
  },
  {
    name: 'a three-layer cycle beside a valid branch',
    upload: () =>
      graph(
        [
          dense('ok', 2, [['in', 0, 0]]),
          dense('x', 2, [['z', 0, 0]]),
          dense('y', 2, [['x', 0, 0]]),
          dense('z', 2, [['y', 0, 0]]),
        ],
        ['ok', 0, 0],
      ),
    code: 'invalid_topology',
    expect: { layer: 'x' },
  },
  {
    name: 'an inbound node index out of range',
    upload: () => graph([dense('d', 2, [['in', 1, 0]])], ['d', 0, 0]),
    code: 'invalid_topology',
    expect: { layer: 'd' },
  },
  {
    name: 'an inbound tensor index out of range',
    upload: () => graph([dense('d', 2, [['in', 0, 3]])], ['d', 0, 0]),
    code: 'invalid_topology',
    expect: { layer: 'd' },
  },
  {
    name: 'an output naming a node that does not exist',
    upload: () => graph([dense('d', 2, [['in', 0, 0]])], ['d', 5, 0]),
    code: 'invalid_topology',
    expect: { layer: 'd' },
  },
  {
    name: 'two layers of the same name',
    upload: () => graph([dense('d', 2, [['in', 0, 0]]), dense('d', 2, [['in', 0, 0]])], ['d', 0, 0]),
    code: 'invalid_topology',
    expect: { layer: 'd' },
  },
  {
    name: 'units: 16384 on a [null, 16384] input with a 1 KB manifest (Sequential)',
    upload: () => handMade(sequential([wide(16384)]), tinyDense),
    code: 'weight_mismatch',
    expect: { layer: 'big', weight: 'big/kernel', expected: [16384, 16384], actual: [16, 16] },
  },
  {
    name: 'units: 16384 on a [null, 16384] input with a 1 KB manifest (functional)',
    upload: () =>
      handMade(
        functional(
          [input('in', [null, 16384]), layer('big', 'Dense', { units: 16384 }, [[['in', 0, 0]]])],
          [['in', 0, 0]],
          [['big', 0, 0]],
        ),
        tinyDense,
      ),
    code: 'weight_mismatch',
    expect: { layer: 'big', weight: 'big/kernel', expected: [16384, 16384] },
  },
  {
    name: 'filters: 65536 on a conv layer with a manifest for 4',
    upload: () =>
      handMade(
        sequential([
          {
            class_name: 'Conv2D',
            config: { filters: 65536, kernel_size: 3, name: 'conv', batch_input_shape: [null, 32, 32, 3] },
          },
        ]),
        [
          { name: 'conv/kernel', shape: [3, 3, 3, 4] },
          { name: 'conv/bias', shape: [4] },
        ],
      ),
    code: 'weight_mismatch',
    expect: { layer: 'conv', weight: 'conv/kernel', expected: [3, 3, 3, 65536] },
  },
  {
    name: 'an embedding of 10 million rows with a manifest for 10',
    upload: () =>
      handMade(
        sequential([
          {
            class_name: 'Embedding',
            config: { input_dim: 10_000_000, output_dim: 64, name: 'emb', batch_input_shape: [null, 4] },
          },
        ]),
        [{ name: 'emb/embeddings', shape: [10, 64] }],
      ),
    code: 'weight_mismatch',
    expect: { layer: 'emb', weight: 'emb/embeddings' },
  },
  {
    name: 'a chain of 20,001 Dense layers',
    upload: () => handMade(...denseChain(20_001)),
    code: 'model_too_complex',
    expect: { limit: 1000, actual: 20_001 },
  },
  {
    name: 'layers hidden in nested models beyond the bound',
    upload: () => {
      const chain = (prefix: string) =>
        Array.from({ length: 600 }, (_, i) => ({
          class_name: 'Dense',
          config: { units: 1, name: `${prefix}${i}`, ...(i === 0 ? { batch_input_shape: [null, 2] } : {}) },
        }));
      const nested = (name: string) => layer(name, 'Sequential', { layers: chain(name) }, [[['in', 0, 0]]]);
      return graph([nested('p'), nested('q')], ['p', 1, 0]);
    },
    code: 'model_too_complex',
    expect: { limit: 1000 },
  },
  {
    name: `a manifest of more than MODEL_MAX_PARAMS (${MAX_PARAMS}) values`,
    upload: () =>
      handMade(
        sequential([
          { class_name: 'Dense', config: { units: 1100, name: 'd', batch_input_shape: [null, 1000] } },
        ]),
        [
          { name: 'd/kernel', shape: [1000, 1100] },
          { name: 'd/bias', shape: [1100] },
        ],
      ),
    code: 'model_too_complex',
    expect: { limit: MAX_PARAMS, actual: 1_101_100 },
  },
  {
    name: 'a declared input of 100 million values',
    upload: () =>
      handMade(
        sequential([
          { class_name: 'Dense', config: { units: 1, name: 'd', batch_input_shape: [null, 1e8] } },
        ]),
        [{ name: 'd/kernel', shape: [1, 1] }],
      ),
    code: 'model_too_complex',
    expect: { layer: 'd', actual: 1e8 },
  },
  {
    name: 'a layer whose output is a billion values',
    upload: () =>
      handMade(
        sequential([
          {
            class_name: 'UpSampling2D',
            config: { size: [4096, 4096], name: 'up', batch_input_shape: [null, 8, 8, 1] },
          },
        ]),
        [],
      ),
    code: 'model_too_complex',
    expect: { layer: 'up', actual: 8 * 8 * 4096 * 4096 },
  },
  {
    name: 'a NaN weight',
    upload: (saved) => poisoned(saved, saved.json.weightsManifest[0]!.weights[0]!.name, 3, Number.NaN),
    code: 'non_finite_weights',
    expect: { weight: 'hidden/kernel', file: 'weights.bin' },
  },
  {
    name: 'an infinite weight',
    upload: (saved) => poisoned(saved, 'out/bias', 1, Number.NEGATIVE_INFINITY),
    code: 'non_finite_weights',
    expect: { weight: 'out/bias', file: 'weights.bin' },
  },
  {
    name: 'a recurrent layer that builds 576 MB of weights for a 200-byte manifest',
    upload: () => handMade(rnn(12_000), tinyRnn),
    code: 'model_load_memory_exceeded',
    expect: { limit: PROBE_MAX_BYTES },
  },
  {
    name: 'weights that TF.js itself refuses for a layer checked only by TF.js',
    upload: () => handMade(rnn(8), tinyRnn),
    code: 'invalid_model',
    expect: { file: 'model.json' },
  },
  {
    name: 'finite weights whose output on zeros overflows to infinity',
    upload: () =>
      handMade(
        sequential([
          { class_name: 'Dense', config: { units: 1, name: 'd1', batch_input_shape: [null, 1] } },
          { class_name: 'Dense', config: { units: 2, name: 'd2' } },
        ]),
        [
          { name: 'd1/kernel', shape: [1, 1] },
          { name: 'd1/bias', shape: [1], fill: () => 3e38 },
          { name: 'd2/kernel', shape: [1, 2], fill: () => 10 },
          { name: 'd2/bias', shape: [2] },
        ],
      ),
    code: 'non_finite_output',
    expect: { file: 'model.json' },
  },
  {
    name: 'a model with two outputs',
    upload: () =>
      handMade(
        functional(
          [input('in', [null, 2]), dense('a', 1, [['in', 0, 0]]), dense('b', 1, [['in', 0, 0]])],
          [['in', 0, 0]],
          [
            ['a', 0, 0],
            ['b', 0, 0],
          ],
        ),
        ['a', 'b'].flatMap((name) => [
          { name: `${name}/kernel`, shape: [2, 1] },
          { name: `${name}/bias`, shape: [1] },
        ]),
      ),
    code: 'unsupported_model',
  },
];

/** The config of the APIs under test here, for inject and for a listening process alike. */
export const HOSTILE_CONFIG = {
  INFERENCE_HOSTS: 1,
  MODEL_PROBE_MAX_BYTES: PROBE_MAX_BYTES,
  MODEL_MAX_PARAMS: MAX_PARAMS,
  // A busy shared machine must not turn rows into 503 server_busy.
  MAX_EVENT_LOOP_DELAY_MS: 60_000,
};
