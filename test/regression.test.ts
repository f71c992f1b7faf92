import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobView } from '../src/jobs/job-view.js';
import type { ModelRecord } from '../src/models/model-store.js';
import type { RegressionEvaluation } from '../src/training/regression-evaluation.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

/** The Palmer penguins with a body mass: the rows that have one, as a user drops the others. */
const PENGUINS = readFileSync(new URL('../datasets/penguins.csv', import.meta.url), 'utf8')
  .split('\n')
  .filter((line) => line.split(',')[5] !== 'NA')
  .join('\n');

describe('regression: a number to predict, learnt with MSE or Huber and reported in its own units', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker;
  let dataset: Dataset;

  const submit = (payload: object) => fastify.inject({ method: 'POST', url: '/v1/jobs', payload });

  before(async () => {
    env = await createTestEnv('regression', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    fastify = await buildApp(env.config);
    worker = await startWorker(env.config);
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/datasets?name=penguins&labelColumn=body_mass_g',
      headers: { 'content-type': 'text/csv' },
      payload: PENGUINS,
    });
    assert.equal(response.statusCode, 201, response.body);
    dataset = response.json<Dataset>();
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  it('records numeric labels as a target, and refuses them as classes nearly all of one row', async () => {
    assert.equal(dataset.rows, 342);
    assert.ok(
      dataset.target && dataset.target.min === 2700 && dataset.target.max === 6300,
      JSON.stringify(dataset.target),
    );
    const problem = assertProblem(
      await submit({ dataset: dataset.id, architecture: { type: 'mlp' } }),
      422,
      'invalid_job',
    );
    assert.equal(problem.field, '/task');
    assert.match(problem.detail, /task to 'regression'/);
    const text = await uploadCsv(fastify, 'a,label\n1,x\n2,y\n3,x\n', 'text');
    const notNumbers = assertProblem(
      await submit({ dataset: text.id, task: 'regression', architecture: { type: 'mlp' } }),
      422,
      'invalid_job',
    );
    assert.equal(notNumbers.field, '/task');
    const refusals: Array<[object, string]> = [
      [{ loss: 'huber' }, '/loss'],
      [{ task: 'regression', classWeight: 'balanced' }, '/classWeight'],
      [
        { task: 'regression', hyperparameters: { earlyStopping: { monitor: 'val_accuracy' } } },
        '/hyperparameters/earlyStopping/monitor',
      ],
    ];
    for (const [extra, field] of refusals) {
      const refused = assertProblem(
        await submit({ dataset: dataset.id, architecture: { type: 'mlp' }, ...extra }),
        400,
        'invalid_job',
      );
      assert.equal(refused.field, field);
    }
    const missing = assertProblem(
      await fastify.inject({
        method: 'POST',
        url: '/v1/datasets?name=m',
        headers: { 'content-type': 'text/csv' },
        payload: 'a,label\n1,3\n2,NA\n',
      }),
      400,
      'invalid_dataset',
    );
    assert.deepEqual([missing.row, missing.column], [2, 'label']);
  });

  for (const loss of ['mse', 'huber'] as const) {
    it(`trains with ${loss}: MAE, RMSE and R² per epoch and in the evaluation, and predicts grams`, async () => {
      const submitted = await submit({
        dataset: dataset.id,
        task: 'regression',
        loss,
        architecture: { type: 'mlp', hiddenUnits: [32] },
        hyperparameters: { epochs: 40, batchSize: 16, learningRate: 0.01 },
        seed: 4,
      });
      assert.equal(submitted.statusCode, 201, submitted.body);
      const job: JobView = await waitForJob(fastify, submitted.json<JobView>().id);
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      const last = job.history.at(-1)!;
      assert.equal(last.accuracy, null);
      for (const key of ['mae', 'rmse', 'r2', 'val_mae', 'val_rmse', 'val_r2'] as const)
        assert.equal(typeof last[key], 'number', `${key} in ${JSON.stringify(last)}`);
      const model = (await fastify.inject({ url: `/v1/models/${job.modelId}` })).json<ModelRecord>();
      assert.equal(model.task, 'regression');
      assert.equal(model.labels, null);
      const evaluation = model.evaluation as RegressionEvaluation;
      assert.equal(evaluation.split, 'validation');
      assert.ok(evaluation.r2! > 0.7, `R² ${evaluation.r2}`);
      assert.ok(
        Math.abs(evaluation.r2! - job.metrics.val_r2!) < 1e-3,
        `${evaluation.r2} vs ${job.metrics.val_r2}`,
      );
      assert.ok(evaluation.mae < 400, `MAE ${evaluation.mae} g`);
      const gentoo = {
        island: 'Biscoe',
        bill_length_mm: 50,
        bill_depth_mm: 15.5,
        flipper_length_mm: 222,
        sex: 'male',
        year: 2008,
        species: 'Gentoo',
      };
      const adelie = {
        ...gentoo,
        island: 'Torgersen',
        bill_length_mm: 38,
        bill_depth_mm: 18,
        flipper_length_mm: 185,
        sex: 'female',
        species: 'Adelie',
      };
      const predicted = await fastify.inject({
        method: 'POST',
        url: `/v1/models/${model.id}/predict`,
        payload: { instances: [gentoo, adelie] },
      });
      assert.equal(predicted.statusCode, 200, predicted.body);
      const [big, small] = predicted
        .json<{ predictions: Array<{ value: number }> }>()
        .predictions.map((p) => p.value);
      assert.ok(big! > 4800 && small! < 4000 && small! > 2500, `${big} g and ${small} g`);
      console.log(
        `regression (${loss}): R² ${evaluation.r2!.toFixed(3)}, MAE ${evaluation.mae.toFixed(0)} g; a Gentoo male ${big!.toFixed(0)} g, an Adelie female ${small!.toFixed(0)} g`,
      );
    });
  }
});
