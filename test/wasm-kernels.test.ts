import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { selectBackend } from '../src/tf/backend.js';

type Shape4 = [number, number, number, number];
type Pad = 'same' | 'valid' | tf.backend_util.ExplicitPadding;

/** An op of some inputs, compared on wasm and cpu with the gradients of a weighted sum of its output. */
interface Case {
  name: string;
  shapes: number[][];
  op: (...inputs: tf.Tensor[]) => tf.Tensor;
  /** Inputs on a few levels only, so that max pooling meets ties. */
  coarse?: boolean;
}

const values = (shape: number[], seed: string, coarse = false) => {
  const rng = seedrandom(seed);
  const next = () => rng() * 2 - 1;
  return Float32Array.from({ length: tf.util.sizeFromShape(shape) }, () =>
    coarse ? Math.round(next() * 2) / 2 : next(),
  );
};

/** The op's output and the gradients of sum(op(inputs) · weights) for every input, computed on `backend`. */
async function gradients(backend: 'wasm' | 'cpu', c: Case) {
  assert.ok(await tf.setBackend(backend));
  return tf.tidy(() => {
    const inputs = c.shapes.map((shape, i) => tf.tensor(values(shape, `${c.name} ${i}`, c.coarse), shape));
    const y = c.op(...inputs);
    const weights = tf.tensor(values(y.shape, `${c.name} weights`), y.shape);
    const grads = tf.grads((...xs: tf.Tensor[]) =>
      c
        .op(...xs)
        .mul(weights)
        .sum(),
    )(inputs);
    return { y: y.dataSync() as Float32Array, grads: grads.map((g) => g.dataSync() as Float32Array) };
  });
}

function assertClose(actual: Float32Array, expected: Float32Array, what: string) {
  assert.equal(actual.length, expected.length, `${what}: length`);
  const scale = Math.max(1, ...Array.from(expected, Math.abs));
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i]! - expected[i]!));
  assert.ok(worst <= 1e-4 * scale, `${what}: wasm differs from cpu by ${worst} (scale ${scale})`);
  assert.ok(
    Array.from(expected).some((v) => v !== 0),
    `${what}: the values are not all zeros`,
  );
}

/** Runs the case on wasm (with the registered kernels) and on the plain-JS cpu backend, and compares. */
async function compare(c: Case) {
  const wasm = await gradients('wasm', c);
  const cpu = await gradients('cpu', c);
  assert.ok(await tf.setBackend('wasm'));
  assertClose(wasm.y, cpu.y, `${c.name} forward`);
  wasm.grads.forEach((g, i) => assertClose(g, cpu.grads[i]!, `${c.name} gradient of input ${i}`));
}

const conv = (name: string, x: Shape4, filter: Shape4, strides: [number, number], pad: Pad): Case => ({
  name,
  shapes: [x, filter],
  op: (a, b) => tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad),
});
const depthwise = (name: string, x: Shape4, filter: Shape4, strides: [number, number], pad: Pad): Case => ({
  name,
  shapes: [x, filter],
  op: (a, b) => tf.depthwiseConv2d(a as tf.Tensor4D, b as tf.Tensor4D, strides, pad),
});
const pool = (kind: 'max' | 'avg', x: Shape4, size: number, stride: number, pad: 'same' | 'valid'): Case => ({
  name: `${kind} pool ${size}×${size}, stride ${stride}, ${pad}, input ${x.join('×')}`,
  shapes: [x],
  coarse: true,
  op: (a) => (kind === 'max' ? tf.maxPool : tf.avgPool)(a as tf.Tensor4D, size, stride, pad),
});
/** One row of the matrix product table; with `fused` it goes through the fused kernel, bias added. */
interface MatMulRow {
  name: string;
  a: number[];
  b: number[];
  transposeA?: boolean;
  transposeB?: boolean;
  fused?: { bias: number[]; activation: tf.fused.Activation };
}
const matMul = ({ name, a, b, transposeA = false, transposeB = false, fused }: MatMulRow): Case =>
  fused
    ? {
        name,
        shapes: [a, b, fused.bias],
        op: (x, y, bias) =>
          tf.fused.matMul({ a: x, b: y, transposeA, transposeB, bias, activation: fused.activation }),
      }
    : { name, shapes: [a, b], op: (x, y) => tf.matMul(x, y, transposeA, transposeB) };

describe('wasm training kernels match the cpu backend', () => {
  before(async () => {
    const backend = await selectBackend('wasm');
    assert.equal(backend.name, 'wasm');
    assert.equal(tf.getBackend(), 'wasm');
  });

  it('registers the kernels the wasm backend lacks', () => {
    for (const kernel of [
      'Conv2DBackpropFilter',
      'DepthwiseConv2dNativeBackpropFilter',
      'DepthwiseConv2dNativeBackpropInput',
    ]) {
      assert.ok(tf.getKernel(kernel, 'wasm'), `${kernel} is registered for wasm`);
    }
  });

  const convCases: Case[] = [
    conv('conv 3×3 same', [2, 8, 8, 1], [3, 3, 1, 4], [1, 1], 'same'),
    conv('conv 3×3 valid, 3 channels', [3, 7, 6, 3], [3, 3, 3, 5], [1, 1], 'valid'),
    conv('conv 3×3 same, stride 2', [2, 7, 7, 3], [3, 3, 3, 5], [2, 2], 'same'),
    conv('conv 2×4 valid, strides 2×1', [1, 9, 8, 2], [2, 4, 2, 3], [2, 1], 'valid'),
    conv('conv 3×3 valid, stride 2, odd 9×7', [3, 9, 7, 2], [3, 3, 2, 4], [2, 2], 'valid'),
    conv('conv 3×3 valid, stride 3, rows left over', [2, 10, 8, 2], [3, 3, 2, 3], [3, 3], 'valid'),
    conv('conv 3×3 same, 1 channel into 16', [2, 6, 6, 1], [3, 3, 1, 16], [1, 1], 'same'),
    conv('conv 1×1 same, stride 2', [2, 5, 5, 3], [1, 1, 3, 2], [2, 2], 'same'),
    conv('conv 5×5 same on 4×6', [2, 4, 6, 3], [5, 5, 3, 2], [1, 1], 'same'),
    conv(
      'conv 2×2, padding wider than the filter',
      [2, 5, 5, 2],
      [2, 2, 2, 3],
      [1, 1],
      [
        [0, 0],
        [3, 1],
        [0, 2],
        [0, 0],
      ],
    ),
  ];
  for (const c of convCases) it(`conv2d: ${c.name}`, () => compare(c));

  const depthwiseCases = [
    depthwise('depthwise 3×3 same', [2, 8, 8, 3], [3, 3, 3, 1], [1, 1], 'same'),
    depthwise('depthwise 3×3 valid, multiplier 2', [2, 6, 7, 3], [3, 3, 3, 2], [1, 1], 'valid'),
    depthwise('depthwise 3×3 same, stride 2, multiplier 3', [1, 9, 9, 2], [3, 3, 2, 3], [2, 2], 'same'),
  ];
  for (const c of depthwiseCases) it(`depthwiseConv2d: ${c.name}`, () => compare(c));

  const poolCases = (['max', 'avg'] as const).flatMap((kind) => [
    pool(kind, [3, 8, 8, 4], 2, 2, 'same'),
    pool(kind, [2, 7, 5, 3], 2, 2, 'same'),
    pool(kind, [2, 7, 7, 2], 3, 2, 'valid'),
    pool(kind, [2, 5, 6, 3], 3, 1, 'same'),
  ]);
  for (const c of poolCases) it(c.name, () => compare(c));

  const matMulRows: MatMulRow[] = [
    { name: 'matMul', a: [5, 7], b: [7, 3] },
    { name: 'matMul, a transposed', a: [7, 5], b: [7, 3], transposeA: true },
    { name: 'matMul, b transposed', a: [5, 7], b: [3, 7], transposeB: true },
    { name: 'matMul, both transposed', a: [7, 5], b: [3, 7], transposeA: true, transposeB: true },
    { name: 'matMul, one of a batch, b transposed', a: [1, 4, 6], b: [1, 3, 6], transposeB: true },
    { name: 'matMul, batch of 2, a transposed', a: [2, 6, 4], b: [2, 6, 3], transposeA: true },
    {
      name: 'fused matMul with bias and relu, b transposed',
      a: [6, 5],
      b: [4, 5],
      transposeB: true,
      fused: { bias: [4], activation: 'relu' },
    },
  ];
  const matMulCases = matMulRows.map(matMul);
  for (const c of matMulCases) it(c.name, () => compare(c));

  it('frees everything the kernels allocate', async () => {
    const backend = tf.backend() as BackendWasm;
    const heapBytes = () => (backend.wasm as unknown as { HEAPU8: Uint8Array }).HEAPU8.length;
    const cases = [
      convCases[2]!,
      convCases[6]!,
      convCases[7]!,
      convCases[9]!,
      poolCases[1]!,
      poolCases[6]!,
      matMulCases[3]!,
    ];
    for (const c of cases) await gradients('wasm', c);
    const before = { tensors: tf.memory().numTensors, data: backend.numDataIds(), heap: heapBytes() };
    for (let i = 0; i < 20; i++) for (const c of cases) await gradients('wasm', c);
    assert.equal(tf.memory().numTensors, before.tensors, 'tensors');
    assert.equal(backend.numDataIds(), before.data, 'wasm data buffers');
    assert.equal(heapBytes(), before.heap, 'the wasm heap did not grow');
  });

  it('a clone shares its data, which lives until the last of the two is disposed', async () => {
    assert.ok(await tf.setBackend('wasm'));
    const backend = tf.backend() as BackendWasm;
    const before = backend.numDataIds();
    const x = tf.tensor([1, 2, 3, 4], [2, 2]);
    const copy = tf.clone(x);
    assert.equal(backend.numDataIds(), before + 1, 'no second buffer');
    x.dispose();
    assert.deepEqual(Array.from(copy.dataSync()), [1, 2, 3, 4]);
    copy.dispose();
    assert.equal(backend.numDataIds(), before);
    const words = tf.tensor(['a', 'b']);
    assert.deepEqual(
      tf.tidy(() => tf.clone(words).arraySync()),
      ['a', 'b'],
      'strings keep the copying kernel',
    );
    words.dispose();
  });

  /** Trains `layers` for two epochs with plain SGD on `backend`; returns the weights. */
  async function trainOn(backend: 'wasm' | 'cpu', layers: () => tf.layers.Layer[], inputShape: Shape4) {
    assert.ok(await tf.setBackend(backend));
    const model = tf.sequential({ layers: layers() });
    const optimizer = tf.train.sgd(0.1);
    model.compile({ optimizer, loss: 'categoricalCrossentropy' });
    const x = tf.tensor4d(values(inputShape, 'layer x'), inputShape);
    const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
    await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
    const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
    tf.dispose([x, y]);
    model.dispose();
    optimizer.dispose();
    return weights;
  }

  async function assertTrainsAlike(layers: () => tf.layers.Layer[], inputShape: Shape4) {
    const wasm = await trainOn('wasm', layers, inputShape);
    const cpu = await trainOn('cpu', layers, inputShape);
    assert.ok(await tf.setBackend('wasm'));
    assert.equal(wasm.length, cpu.length);
    wasm.forEach((w, i) => assertClose(w, cpu[i]!, `weight ${i}`));
  }

  const glorot = (seed: number) => tf.initializers.glorotUniform({ seed });
  const classifier = () => [
    tf.layers.flatten(),
    tf.layers.dense({ units: 2, activation: 'softmax', kernelInitializer: glorot(9) }),
  ];

  it('a Conv2D layer trains on wasm exactly as on cpu', () =>
    assertTrainsAlike(
      () => [
        tf.layers.conv2d({
          inputShape: [6, 6, 1],
          filters: 3,
          kernelSize: 3,
          padding: 'same',
          kernelInitializer: glorot(7),
        }),
        tf.layers.depthwiseConv2d({ kernelSize: 3, depthMultiplier: 2, depthwiseInitializer: glorot(8) }),
        ...classifier(),
      ],
      [4, 6, 6, 1],
    ));

  it('a pooled CNN trains on wasm exactly as on cpu', () =>
    assertTrainsAlike(
      () => [
        tf.layers.conv2d({
          inputShape: [9, 9, 1],
          filters: 4,
          kernelSize: 3,
          padding: 'same',
          activation: 'relu',
          kernelInitializer: glorot(7),
        }),
        tf.layers.maxPooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.conv2d({
          filters: 6,
          kernelSize: 3,
          strides: 2,
          activation: 'relu',
          kernelInitializer: glorot(8),
        }),
        tf.layers.averagePooling2d({ poolSize: 2, padding: 'same' }),
        tf.layers.dense({ units: 5, activation: 'relu', kernelInitializer: glorot(10) }),
        ...classifier(),
      ],
      [4, 9, 9, 1],
    ));
});
