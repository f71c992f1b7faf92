import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { selectBackend } from '../src/tf/backend.js';
import { lowRecallClasses } from '../src/training/low-recall.js';
import { train } from '../src/training/train.js';
import { validationWarnings } from '../src/training/validation-warnings.js';
import { digitRows } from './helpers/digits.js';

const spec = (request: Omit<JobRequest, 'dataset'>) =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0);

/** All the digits 0 and 1 (178 and 182 rows), and the first `small` rows of 8. */
function skewed(small: number) {
  const rows = [...digitRows({ labels: ['0', '1'] }), ...digitRows({ labels: ['8'], perClass: small })];
  const labels = ['0', '1', '8'];
  return {
    featureShape: [64],
    labels,
    data: {
      features: Float32Array.from(rows.flatMap((row) => row.pixels)),
      labelIndex: Uint32Array.from(rows.map((row) => labels.indexOf(row.label))),
    },
  };
}

const MLP_JOB: Omit<JobRequest, 'dataset'> = {
  architecture: { type: 'mlp', hiddenUnits: [32] },
  hyperparameters: { epochs: 10, learningRate: 0.01 },
  seed: 1,
};

describe('honest validation and imbalance (TF.js on the digits, no Redis)', () => {
  let tensorsAtStart: number;
  const trainOn = async (data: ReturnType<typeof skewed>, request: Omit<JobRequest, 'dataset'>) => {
    const logs: Array<[string | undefined, string]> = [];
    const result = await train(
      { spec: spec(request), ...data },
      { onLog: async (message, level) => void logs.push([level, message]) },
    );
    result.dispose();
    return { evaluation: result.evaluation!, logs };
  };

  before(async () => {
    await selectBackend('auto');
    tensorsAtStart = tf.memory().numTensors;
  });
  after(() => assert.equal(tf.memory().numTensors, tensorsAtStart));

  it('a class the split leaves without validation rows is a warning naming it, and evaluated on no rows', async () => {
    const { evaluation, logs } = await trainOn(skewed(1), MLP_JOB);
    assert.deepEqual(logs, [
      [
        'warn',
        "no validation rows of '8' (1 row): too few rows for a 20% hold-out to take one. They are trained on all " +
          'the same, and evaluated on no rows (support 0, recall and precision 0): give more rows of them, or a ' +
          'validation.dataset',
      ],
    ]);
    assert.equal(evaluation.split, 'validation');
    assert.deepEqual(evaluation.perClass[2], { label: '8', precision: 0, recall: 0, support: 0 });
    // A class with no rows to judge is not flagged: the warning has named it.
    assert.deepEqual(evaluation.lowRecall, []);
  });

  it('without validation rows, a warning that the evaluation is of the training rows', async () => {
    const { evaluation, logs } = await trainOn(skewed(20), {
      ...MLP_JOB,
      hyperparameters: { epochs: 1 },
      validation: { split: 0 },
    });
    assert.equal(logs.length, 1);
    assert.equal(logs[0]![0], 'warn');
    assert.match(
      logs[0]![1],
      /^no validation rows: the job holds none out\. The evaluation is of the training rows/,
    );
    assert.equal(evaluation.split, 'train');
    assert.equal(evaluation.rows, 178 + 182 + 20);
  });

  it('a 3-row class beside two of 178 and 182: accuracy reads 0.986 while the evaluation flags its recall of 0', async () => {
    const { evaluation, logs } = await trainOn(skewed(3), MLP_JOB);
    assert.deepEqual(logs, [], 'the split holds one row of 8 out');
    assert.equal(evaluation.accuracy.toFixed(3), '0.986');
    assert.deepEqual(evaluation.lowRecall, [{ label: '8', recall: 0 }]);
  });

  it('classWeight "balanced" or explicit weights bring a small class back that plain training leaves out', async () => {
    const data = skewed(8);
    const plain = await trainOn(data, MLP_JOB);
    assert.deepEqual(plain.evaluation.lowRecall, [{ label: '8', recall: 0 }]);
    for (const classWeight of ['balanced', { '8': 20 }] satisfies Array<JobRequest['classWeight']>) {
      const weighted = await trainOn(data, { ...MLP_JOB, classWeight });
      const eight = weighted.evaluation.perClass.find((c) => c.label === '8')!;
      assert.deepEqual([eight.support, eight.recall], [2, 1], JSON.stringify(classWeight));
      assert.deepEqual(weighted.evaluation.lowRecall, []);
    }
  });

  it('a validation dataset without rows of some classes is named in the warning; one with every class is not', () => {
    const input = {
      labels: ['a', 'b', 'c'],
      data: { labelIndex: Uint32Array.from([0, 0, 1, 2, 2, 2]) },
      spec: { validation: { dataset: 'ds_v' } },
    };
    const validation = (labelIndex: number[]) => ({
      train: Uint32Array.from([0, 1, 2, 3, 4, 5]),
      validation: {
        data: { features: new Float32Array(0), labelIndex: Uint32Array.from(labelIndex) },
        rows: Uint32Array.from(labelIndex.keys()),
      },
    });
    assert.deepEqual(validationWarnings(input, validation([0, 1, 2]), true), []);
    const [warning, ...more] = validationWarnings(input, validation([1]), true);
    assert.equal(more.length, 0);
    assert.match(
      warning!,
      /^no validation rows of 'a' \(2 rows\) and 'c' \(3 rows\): validation dataset ds_v has none\./,
    );
    // A regression's rows are not classes: nothing to name.
    assert.deepEqual(validationWarnings(input, validation([1]), false), []);
  });

  it('flags recall under half the mean, or more than 0.3 below it, among classes with rows', () => {
    const classes = (...recalls: number[]) =>
      recalls.map((recall, i) => ({ label: String(i), recall, support: 10 }));
    // Mean 0.9: the bar is 0.6.
    assert.deepEqual(lowRecallClasses(classes(1, 1, 1, 0.61)), []);
    assert.deepEqual(lowRecallClasses(classes(1, 1, 1, 0.59, 0.9)), [{ label: '3', recall: 0.59 }]);
    // Mean 0.3: half of it, 0.15, is the higher bar.
    assert.deepEqual(lowRecallClasses(classes(0.4, 0.4, 0.4, 0.14, 0.16)), [{ label: '3', recall: 0.14 }]);
    // A class without rows has no recall to judge, and one class alone has nothing to be below.
    assert.deepEqual(lowRecallClasses([...classes(1, 1), { label: 'x', recall: 0, support: 0 }]), []);
    assert.deepEqual(lowRecallClasses(classes(0)), []);
  });
});
