import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { selectBackend } from '../src/tf/backend.js';
import { decodeCheckpoint, encodeCheckpoint } from '../src/training/checkpoint.js';
import { preprocessRows, standardization, STD_FLOOR } from '../src/training/data.js';
import { train, type TrainingCheckpoint } from '../src/training/train.js';
import { digitsData } from './helpers/digits.js';

const spec = (request: Omit<JobRequest, 'dataset'>) =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0);

type Architecture = JobRequest['architecture'];
const CNN: Architecture = { type: 'cnn', inputShape: [8, 8, 1], filters: [4], denseUnits: 16 };
const MLP: Architecture = { type: 'mlp', hiddenUnits: [16] };

/** Population standard deviation, as the statistics take it. */
const plainStd = (values: number[]) => {
  const mean = values.reduce((n, v) => n + v, 0) / values.length;
  return Math.sqrt(values.reduce((n, v) => n + (v - mean) ** 2, 0) / values.length);
};

describe('preprocessing by kind of input (TF.js on the digits, no Redis)', () => {
  let tensorsAtStart: number;
  const digits = digitsData({ perClass: 20 });
  const run = (request: Omit<JobRequest, 'dataset'>) =>
    train({ spec: spec({ hyperparameters: { epochs: 1 }, seed: 5, ...request }), ...digits });

  before(async () => {
    await selectBackend('auto');
    tensorsAtStart = tf.memory().numTensors;
  });
  after(() => assert.equal(tf.memory().numTensors, tensorsAtStart));

  it('standardization floors the std of a sparse column at a tenth of its range, and leaves a constant one unscaled', () => {
    // 1000 rows of three columns: almost always 0 (one row 100), always 5, and 0..9 repeating.
    const rows = 1000;
    const columns = [
      Array.from({ length: rows }, (_, r) => (r === 7 ? 100 : 0)),
      new Array<number>(rows).fill(5),
      Array.from({ length: rows }, (_, r) => r % 10),
    ];
    const features = Float32Array.from({ length: rows * 3 }, (_, i) => columns[i % 3]![Math.floor(i / 3)]!);
    const all = Uint32Array.from({ length: rows }, (_, r) => r);
    const { mean, std } = standardization(features, 3, all);
    // Plain z-scores would put the sparse column's one 100 at (100 - 0.1) / 3.16 = 31.6 deviations.
    assert.ok(Math.abs(plainStd(columns[0]!) - 3.16) < 0.01);
    assert.equal(std[0], STD_FLOOR * 100);
    assert.deepEqual([mean[1], std[1]], [5, 1]);
    assert.ok(Math.abs(std[2]! - plainStd(columns[2]!)) < 1e-9, 'a column with spread keeps its own std');
    const z = preprocessRows(features, 3, all, { standardize: { mean, std } });
    assert.ok(Math.abs(z[7 * 3]! - 9.99) < 1e-6, `the rare value lands at ${z[7 * 3]}`);
    assert.ok(
      z.every((v) => Math.abs(v) <= 1 / STD_FLOOR),
      'no training value beyond 10 deviations',
    );
    // Some digits pixels are like that column: on in a few of the rows only, and floored the same way.
    const pixels = standardization(digits.data.features, 64, all.subarray(0, 200));
    const standardized = preprocessRows(digits.data.features, 64, all.subarray(0, 200), {
      standardize: pixels,
    });
    assert.ok(standardized.every((v) => Math.abs(v) <= 1 / STD_FLOOR + 1e-5));
  });

  it('auto standardizes rows into an MLP and scales rows a CNN takes as images by their largest value; a job may name its own', async () => {
    const cases: Array<[Omit<JobRequest, 'dataset'>, 'standardize' | 'pixels' | null]> = [
      [{ architecture: MLP }, 'standardize'],
      [{ architecture: CNN }, 'pixels'],
      [{ architecture: CNN, preprocessing: 'standardize' }, 'standardize'],
      [{ architecture: MLP, preprocessing: 'scale' }, 'pixels'],
      [{ architecture: CNN, preprocessing: 'none' }, null],
    ];
    for (const [request, kind] of cases) {
      const result = await run(request);
      try {
        const { preprocessing } = result;
        const what = JSON.stringify(request);
        if (kind === 'pixels') {
          // The digits' pixels run 0..16: the whole input is divided by 16.
          assert.deepEqual(preprocessing, { pixels: { scale: 1 / 16, offset: 0 } }, what);
        } else if (kind === 'standardize') {
          assert.deepEqual(Object.keys(preprocessing ?? {}), ['standardize'], what);
          assert.equal(preprocessing!.standardize!.mean.length, 64);
        } else assert.equal(preprocessing, null, what);
        assert.ok(Number.isFinite(result.history[0]!.loss), what);
      } finally {
        result.dispose();
      }
    }
  });

  it('a resumed run keeps the scaling its checkpoint holds, and a checkpoint from before the scaling keeps its standardization', async () => {
    const request = { architecture: CNN, hyperparameters: { epochs: 2 }, seed: 6 };
    const checkpoints: Buffer[] = [];
    const first = await train(
      { spec: spec(request), ...digits },
      { onCheckpoint: async (c) => void checkpoints.push(await encodeCheckpoint(c)) },
    );
    first.dispose();
    const resumeWith = async (edit: (state: TrainingCheckpoint['state']) => void) => {
      const resume = decodeCheckpoint(checkpoints[0]!);
      assert.deepEqual(resume.state.pixels, { scale: 1 / 16, offset: 0 });
      assert.equal(resume.state.standardization, null);
      edit(resume.state);
      const result = await train({ spec: spec(request), ...digits, resume });
      result.dispose();
      return result.preprocessing;
    };
    // What the checkpoint holds, not statistics taken again: a changed scale comes back.
    assert.deepEqual(await resumeWith((state) => (state.pixels = { scale: 1 / 32, offset: 0 })), {
      pixels: { scale: 1 / 32, offset: 0 },
    });
    const stats = { mean: new Array<number>(64).fill(1), std: new Array<number>(64).fill(2) };
    const older = await resumeWith((state) => {
      delete state.pixels;
      state.standardization = stats;
    });
    assert.deepEqual(older, { standardize: stats });
  });
});
