import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import { settleAutoSettings } from '../src/jobs/auto-settings.js';
import { estimateJobCost, jobBudget } from '../src/jobs/job-cost.js';
import type { JobView } from '../src/jobs/job-service.js';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { checkJobAgainstRecords } from '../src/jobs/job-validation.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

const mlp = { type: 'mlp' as const, hiddenUnits: [16] };
const specOf = (request: Partial<JobRequest>) =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', architecture: mlp, ...request }, () => 0);
const settle = (request: Partial<JobRequest>, trainRows: number, hasValidation = true) =>
  settleAutoSettings(specOf(request), { trainRows, hasValidation, fits: () => true }).hyperparameters;

describe('automatic settings', () => {
  it('choose the batch size from the training rows and the epochs from the steps that makes', () => {
    const cases: Array<[rows: number, batch: number, epochs: number]> = [
      [8, 2, 100],
      [300, 16, 100],
      [2_000, 32, 32],
      [20_000, 64, 10],
      [200_000, 128, 10],
    ];
    for (const [rows, batch, epochs] of cases) {
      const h = settle({}, rows);
      assert.equal(h.batchSize, batch, `${rows} rows`);
      assert.equal(h.epochs, epochs, `${rows} rows`);
      assert.equal(h.learningRate, 3e-3);
    }
  });

  it('turn early stopping on with automatic epochs, restoring the best weights, where there are validation rows', () => {
    const h = settle({}, 300);
    assert.deepEqual(h.auto, ['epochs', 'batchSize', 'learningRate', 'earlyStopping']);
    assert.deepEqual(h.earlyStopping, { monitor: 'val_loss', patience: 10, minDelta: 0, restoreBest: true });
    const none = settle({}, 300, false);
    assert.equal(none.earlyStopping, null);
    assert.deepEqual(none.auto, ['epochs', 'batchSize', 'learningRate']);
  });

  it('keep what the request gives, and read "auto" as leaving it out', () => {
    const h = settle({ hyperparameters: { epochs: 3, learningRate: 0.01 } }, 300);
    assert.deepEqual([h.epochs, h.learningRate, h.batchSize], [3, 0.01, 16]);
    assert.deepEqual(h.auto, ['batchSize']);
    assert.equal(h.earlyStopping, null, 'epochs were given, so early stopping stays as asked: off');
    const own = settle({ hyperparameters: { earlyStopping: { patience: 2 } } }, 300);
    assert.equal(own.earlyStopping?.patience, 2);
    assert.ok(!own.auto?.includes('earlyStopping'));
    const explicit = settle(
      { hyperparameters: { epochs: 'auto', batchSize: 'auto', learningRate: 'auto' } },
      300,
    );
    assert.deepEqual(explicit, settle({}, 300));
    const given = settle({ hyperparameters: { epochs: 4, batchSize: 8, learningRate: 0.02 } }, 300);
    assert.deepEqual(given.auto, []);
    assert.deepEqual([given.epochs, given.batchSize, given.learningRate], [4, 8, 0.02]);
  });

  it('train a base that is not frozen at the lower rate', () => {
    const base = { baseModel: 'mdl_00000000000000000000000000', architecture: undefined };
    assert.equal(settle({ ...base, transfer: { freeze: 'none' } }, 300).learningRate, 1e-3);
    assert.equal(settle(base, 300).learningRate, 3e-3);
  });

  it('halve the batch until it fits the budget', () => {
    const fits = (batch: number) => batch <= 4;
    const h = settleAutoSettings(specOf({}), { trainRows: 300, hasValidation: true, fits }).hyperparameters;
    assert.equal(h.batchSize, 4);
    assert.equal(h.epochs, 27, '75 steps an epoch');
  });
});

describe('automatic settings through the API', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker;
  let digits: Dataset;

  before(async () => {
    env = await createTestEnv('auto-settings', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    fastify = await buildApp(env.config);
    worker = await startWorker(env.config);
    digits = await uploadCsv(fastify, digitsCsv({ perClass: 12 }), 'digits');
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  it('a job without hyperparameters trains with settings chosen from its dataset, recorded on job and model', async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { dataset: digits.id, architecture: mlp, seed: 1 },
    });
    assert.equal(response.statusCode, 201, response.body);
    const submitted = response.json<JobView>();
    const h = submitted.spec.hyperparameters;
    // 120 digits, 20 held out for validation: 100 training rows, 16 a batch, 7 steps an epoch.
    assert.deepEqual([h.batchSize, h.epochs, h.learningRate], [16, 100, 3e-3]);
    assert.deepEqual(h.auto, ['epochs', 'batchSize', 'learningRate', 'earlyStopping']);
    assert.equal(h.earlyStopping?.monitor, 'val_loss');

    const job = await waitForJob(fastify, submitted.id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    const model = (
      await fastify.inject({ method: 'GET', url: `/v1/models/${job.modelId}` })
    ).json<ModelRecord>();
    assert.deepEqual(model.training && { ...model.training, epochsRun: undefined }, {
      epochs: 100,
      epochsRun: undefined,
      batchSize: 16,
      learningRate: 3e-3,
      earlyStopping: true,
      auto: ['epochs', 'batchSize', 'learningRate', 'earlyStopping'],
    });
    assert.equal(model.training?.epochsRun, job.history.length);
    assert.ok(model.training.epochsRun <= 100);
    assert.ok(model.metrics.val_accuracy! > 0.5, `validation accuracy ${model.metrics.val_accuracy}`);
  });

  it('a batch the budget cannot hold is halved at submission, not refused', () => {
    const spec = { ...specOf({}), dataset: digits.id };
    const budget = jobBudget(env.config);
    // The work of a training batch of this many rows (on as many rows, no prediction chunk is larger).
    const at = (batchSize: number) =>
      estimateJobCost(
        { ...spec, hyperparameters: { ...spec.hyperparameters, batchSize } },
        { featureShape: digits.featureShape, classes: 10, rows: batchSize },
      ).batchFlops;
    const tight = { ...budget, maxBatchFlops: at(4) };
    const settled = checkJobAgainstRecords(spec, { dataset: digits }, tight);
    assert.equal(settled.hyperparameters.batchSize, 4);
    assert.equal(checkJobAgainstRecords(spec, { dataset: digits }, budget).hyperparameters.batchSize, 16);
  });
});
