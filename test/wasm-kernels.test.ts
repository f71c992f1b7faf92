import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import seedrandom from 'seedrandom';
import { selectBackend } from '../src/tf/backend.js';

type Shape4 = [number, number, number, number];

interface Case {
  name: string;
  x: Shape4;
  filter: Shape4;
  strides: [number, number];
  pad: 'same' | 'valid';
}

const values = (shape: number[], seed: string) => {
  const rng = seedrandom(seed);
  return Float32Array.from({ length: shape.reduce((n, d) => n * d, 1) }, () => rng() * 2 - 1);
};

/** Gradients of sum(op(x, filter)²) with respect to x and the filter, computed on `backend`. */
async function gradients(
  backend: 'wasm' | 'cpu',
  op: (x: tf.Tensor4D, filter: tf.Tensor4D, c: Case) => tf.Tensor4D,
  c: Case,
): Promise<{ dx: Float32Array; dFilter: Float32Array; y: Float32Array }> {
  assert.ok(await tf.setBackend(backend));
  return tf.tidy(() => {
    const x = tf.tensor4d(values(c.x, `${c.name} x`), c.x);
    const filter = tf.tensor4d(values(c.filter, `${c.name} filter`), c.filter);
    const [dx, dFilter] = tf.grads((a: tf.Tensor, b: tf.Tensor) =>
      op(a as tf.Tensor4D, b as tf.Tensor4D, c)
        .square()
        .sum(),
    )([x, filter]);
    return {
      dx: dx!.dataSync() as Float32Array,
      dFilter: dFilter!.dataSync() as Float32Array,
      y: op(x, filter, c).dataSync() as Float32Array,
    };
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
    `${what}: the gradient is not all zeros`,
  );
}

/** Runs `op` on wasm (with the registered kernels) and on the plain-JS cpu backend, and compares. */
async function compare(op: (x: tf.Tensor4D, filter: tf.Tensor4D, c: Case) => tf.Tensor4D, c: Case) {
  const wasm = await gradients('wasm', op, c);
  const cpu = await gradients('cpu', op, c);
  assert.ok(await tf.setBackend('wasm'));
  assertClose(wasm.y, cpu.y, `${c.name} forward`);
  assertClose(wasm.dx, cpu.dx, `${c.name} dx`);
  assertClose(wasm.dFilter, cpu.dFilter, `${c.name} dFilter`);
}

const conv2d = (x: tf.Tensor4D, filter: tf.Tensor4D, c: Case) => tf.conv2d(x, filter, c.strides, c.pad);
const depthwise = (x: tf.Tensor4D, filter: tf.Tensor4D, c: Case) =>
  tf.depthwiseConv2d(x, filter, c.strides, c.pad);

describe('wasm gradient kernels match the cpu backend', () => {
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
    { name: 'conv 3×3 same', x: [2, 8, 8, 1], filter: [3, 3, 1, 4], strides: [1, 1], pad: 'same' },
    {
      name: 'conv 3×3 valid, 3 channels',
      x: [3, 7, 6, 3],
      filter: [3, 3, 3, 5],
      strides: [1, 1],
      pad: 'valid',
    },
    { name: 'conv 3×3 same, stride 2', x: [2, 7, 7, 3], filter: [3, 3, 3, 5], strides: [2, 2], pad: 'same' },
    {
      name: 'conv 2×4 valid, strides 2×1',
      x: [1, 9, 8, 2],
      filter: [2, 4, 2, 3],
      strides: [2, 1],
      pad: 'valid',
    },
  ];
  for (const c of convCases) it(`conv2d: ${c.name}`, () => compare(conv2d, c));

  const depthwiseCases: Case[] = [
    { name: 'depthwise 3×3 same', x: [2, 8, 8, 3], filter: [3, 3, 3, 1], strides: [1, 1], pad: 'same' },
    {
      name: 'depthwise 3×3 valid, multiplier 2',
      x: [2, 6, 7, 3],
      filter: [3, 3, 3, 2],
      strides: [1, 1],
      pad: 'valid',
    },
    {
      name: 'depthwise 3×3 same, stride 2, multiplier 3',
      x: [1, 9, 9, 2],
      filter: [3, 3, 2, 3],
      strides: [2, 2],
      pad: 'same',
    },
  ];
  for (const c of depthwiseCases) it(`depthwiseConv2d: ${c.name}`, () => compare(depthwise, c));

  it('a Conv2D layer trains on wasm exactly as on cpu', async () => {
    const step = async (backend: 'wasm' | 'cpu') => {
      assert.ok(await tf.setBackend(backend));
      const model = tf.sequential({
        layers: [
          tf.layers.conv2d({
            inputShape: [6, 6, 1],
            filters: 3,
            kernelSize: 3,
            padding: 'same',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 7 }),
          }),
          tf.layers.depthwiseConv2d({
            kernelSize: 3,
            depthMultiplier: 2,
            depthwiseInitializer: tf.initializers.glorotUniform({ seed: 8 }),
          }),
          tf.layers.flatten(),
          tf.layers.dense({
            units: 2,
            activation: 'softmax',
            kernelInitializer: tf.initializers.glorotUniform({ seed: 9 }),
          }),
        ],
      });
      const optimizer = tf.train.sgd(0.1);
      model.compile({ optimizer, loss: 'categoricalCrossentropy' });
      const x = tf.tensor4d(values([4, 6, 6, 1], 'layer x'), [4, 6, 6, 1]);
      const y = tf.oneHot(tf.tensor1d([0, 1, 1, 0], 'int32'), 2);
      await model.fit(x, y, { epochs: 2, batchSize: 4, shuffle: false, verbose: 0 });
      const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
      tf.dispose([x, y]);
      model.dispose();
      optimizer.dispose();
      return weights;
    };
    const wasm = await step('wasm');
    const cpu = await step('cpu');
    assert.ok(await tf.setBackend('wasm'));
    assert.equal(wasm.length, cpu.length);
    wasm.forEach((w, i) => assertClose(w, cpu[i]!, `weight ${i}`));
  });
});
