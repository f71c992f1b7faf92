import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import type { Evaluation } from '../src/training/evaluate.js';
import { after, before, describe, it } from 'node:test';
import { DatasetStore, type Dataset } from '../src/datasets/dataset-store.js';
import type { JobView } from '../src/jobs/job-service.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { FsStore } from '../src/store/fs-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { assertProblem, buildApp, uploadCsv as uploadDataset } from './helpers/app.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { modelUpload, postModel, saveModel, smallCnn, smallMlp } from './helpers/tf-model.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

const MISSING_DATASET = 'ds_01hzzzzzzzzzzzzzzzzzzzzzzz';
const MISSING_MODEL = 'mdl_01hzzzzzzzzzzzzzzzzzzzzzzz';
const MISSING_JOB = 'job_01hzzzzzzzzzzzzzzzzzzzzzzz';
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

describe('jobs API', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker | undefined;
  let digits: Dataset;
  let lowDigits: Dataset;
  let validationSet: Dataset;
  let narrowBase: ModelRecord;
  let cnnBase: ModelRecord;

  const uploadCsv = (csv: string, name: string) => uploadDataset(fastify, csv, name);

  const uploadModel = async (model: ReturnType<typeof smallCnn>, labels?: string[]) => {
    const saved = await saveModel(model);
    model.dispose();
    return postModel(
      fastify,
      modelUpload(saved, labels ? [{ name: 'labels', data: JSON.stringify(labels) }] : []),
    );
  };

  const submit = (body: Record<string, unknown>) =>
    fastify.inject({ method: 'POST', url: '/v1/jobs', payload: body });

  const getJob = async (id: string) => {
    const response = await fastify.inject({ method: 'GET', url: `/v1/jobs/${id}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<JobView>();
  };

  const listJobs = async (query: string) => {
    const response = await fastify.inject({ method: 'GET', url: `/v1/jobs${query}` });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ items: JobView[]; nextCursor: string | null }>();
  };

  before(async () => {
    env = await createTestEnv('jobs');
    fastify = await buildApp(env.config);
    digits = await uploadCsv(digitsCsv({ perClass: 12 }), 'digits');
    lowDigits = await uploadCsv(digitsCsv({ labels: ['0', '1', '2', '3', '4'], perClass: 4 }), 'low');
    validationSet = await uploadCsv(digitsCsv({ labels: ['0', '1', '2'], perClass: 3 }), 'validation');
    narrowBase = await uploadModel(smallMlp(10, 3));
    cnnBase = await uploadModel(smallCnn(), DIGITS);
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  describe('submission checks', () => {
    const mlp = { type: 'mlp', hiddenUnits: [8] };

    it('an unknown dataset, validation dataset or base model is a 404 naming it', async () => {
      const dataset = assertProblem(
        await submit({ dataset: MISSING_DATASET, architecture: mlp }),
        404,
        'dataset_not_found',
      );
      assert.equal(dataset.datasetId, MISSING_DATASET);
      const validation = assertProblem(
        await submit({ dataset: digits.id, validation: { dataset: MISSING_DATASET }, architecture: mlp }),
        404,
        'dataset_not_found',
      );
      assert.equal(validation.datasetId, MISSING_DATASET);
      const model = assertProblem(
        await submit({ dataset: digits.id, baseModel: MISSING_MODEL }),
        404,
        'model_not_found',
      );
      assert.equal(model.modelId, MISSING_MODEL);
    });

    it('a cnn inputShape that does not hold the rows is a 422 naming both shapes', async () => {
      const problem = assertProblem(
        await submit({ dataset: digits.id, architecture: { type: 'cnn', inputShape: [8, 8, 2] } }),
        422,
        'shape_mismatch',
      );
      assert.equal(problem.field, '/architecture/inputShape');
      assert.deepEqual(problem.expected, [64]);
      assert.deepEqual(problem.actual, [8, 8, 2]);
      assert.equal(
        problem.detail,
        'the cnn inputShape [8, 8, 2] holds 128 values, but dataset rows have shape [64] (64 values)',
      );
    });

    it('a base model whose input does not take the rows is a 422 naming both shapes', async () => {
      const problem = assertProblem(
        await submit({ dataset: digits.id, baseModel: narrowBase.id }),
        422,
        'shape_mismatch',
      );
      assert.equal(problem.field, '/baseModel');
      assert.deepEqual(problem.expected, [10]);
      assert.deepEqual(problem.actual, [64]);
      assert.match(
        problem.detail,
        /takes input \[10\] \(10 values\), but dataset rows have shape \[64\] \(64 values\)$/,
      );
    });

    it('a cut layer the base lacks is a 422 listing its layers', async () => {
      const problem = assertProblem(
        await submit({ dataset: digits.id, baseModel: cnnBase.id, transfer: { cutLayer: 'pool9' } }),
        422,
        'unknown_layer',
      );
      assert.equal(problem.field, '/transfer/cutLayer');
      assert.match(problem.detail, /its layers are conv, flat, out$/);
    });

    it('layer counts beyond the base layers up to the cut, and overlong metadata keys, are 400s naming the field', async () => {
      const freeze = assertProblem(
        await submit({ dataset: digits.id, baseModel: cnnBase.id, transfer: { freeze: 3 } }),
        400,
        'out_of_range',
      );
      assert.equal(freeze.field, '/transfer/freeze');
      assert.equal(freeze.maximum, 2);
      const unfreeze = assertProblem(
        await submit({
          dataset: digits.id,
          baseModel: cnnBase.id,
          transfer: { cutLayer: 'conv' },
          hyperparameters: { fineTune: { epochs: 1, unfreeze: 2 } },
        }),
        400,
        'out_of_range',
      );
      assert.equal(unfreeze.field, '/hyperparameters/fineTune/unfreeze');
      assert.equal(unfreeze.maximum, 1);
      const metadata = assertProblem(
        await submit({ dataset: digits.id, architecture: mlp, metadata: { ['k'.repeat(101)]: 'v' } }),
        400,
        'validation_failed',
      );
      assert.match(String(metadata.field), /^\/body\/metadata/);
    });

    it('a validation dataset with labels the training set lacks is a 422 listing them', async () => {
      const problem = assertProblem(
        await submit({ dataset: validationSet.id, validation: { dataset: lowDigits.id }, architecture: mlp }),
        422,
        'unknown_labels',
      );
      assert.deepEqual(problem.labels, ['3', '4']);
    });

    it('out-of-range hyperparameters are a 400 naming the field', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ hyperparameters: { learningRate: 2 } }, '/body/hyperparameters/learningRate'],
        [{ hyperparameters: { learningRate: 0 } }, '/body/hyperparameters/learningRate'],
        [{ hyperparameters: { epochs: 0 } }, '/body/hyperparameters/epochs'],
        [{ hyperparameters: { epochs: 1001 } }, '/body/hyperparameters/epochs'],
        [{ hyperparameters: { batchSize: 5000 } }, '/body/hyperparameters/batchSize'],
        [{ hyperparameters: { beta1: 1 } }, '/body/hyperparameters/beta1'],
        [{ hyperparameters: { epochs: 2.5 } }, '/body/hyperparameters/epochs'],
        [{ hyperparameters: { epochs: '3' } }, '/body/hyperparameters/epochs'],
        [
          { hyperparameters: { earlyStopping: { patience: -1 } } },
          '/body/hyperparameters/earlyStopping/patience',
        ],
        [{ validation: { split: 0.9 } }, '/body/validation/split'],
        [{ architecture: { ...mlp, dropout: 0.95 } }, '/body/architecture/dropout'],
        [{ architecture: { type: 'rnn' } }, '/body/architecture/type'],
        [{ seed: -1 }, '/body/seed'],
      ];
      for (const [patch, field] of cases) {
        const problem = assertProblem(
          await submit({ dataset: digits.id, architecture: mlp, ...patch }),
          400,
          'validation_failed',
        );
        assert.equal(problem.field, field, JSON.stringify(patch));
        assert.equal(problem.detail.split(' ')[0], field.slice(1), problem.detail);
      }
      const fineTune = assertProblem(
        await submit({
          dataset: digits.id,
          baseModel: cnnBase.id,
          hyperparameters: { fineTune: { epochs: 1, learningRate: 0 } },
        }),
        400,
        'validation_failed',
      );
      assert.equal(fineTune.field, '/body/hyperparameters/fineTune/learningRate');
      const missing = assertProblem(await submit({ architecture: mlp }), 400, 'validation_failed');
      assert.equal(missing.field, '/body/dataset');
    });

    it('an unknown property is a 400 naming it, at any depth', async () => {
      const top = assertProblem(
        await submit({ dataset: digits.id, architecture: mlp, optimizer: 'sgd' }),
        400,
        'validation_failed',
      );
      assert.equal(top.field, '/body/optimizer');
      assert.equal(top.detail, "body/optimizer unknown property 'optimizer'");
      const nested = assertProblem(
        await submit({ dataset: digits.id, architecture: mlp, hyperparameters: { momentum: 0.9 } }),
        400,
        'validation_failed',
      );
      assert.equal(nested.field, '/body/hyperparameters/momentum');
    });

    it('contradictory requests are 400 invalid_job naming the field', async () => {
      const cases: Array<[Record<string, unknown>, string]> = [
        [{ baseModel: cnnBase.id, architecture: mlp }, '/architecture'],
        [{}, '/baseModel'],
        [{ architecture: mlp, transfer: { freeze: 'all' } }, '/transfer'],
        [{ architecture: mlp, hyperparameters: { fineTune: { epochs: 1 } } }, '/hyperparameters/fineTune'],
        [{ architecture: mlp, validation: { split: 0.1, dataset: digits.id } }, '/validation'],
        [{ architecture: { type: 'cnn' } }, '/architecture/inputShape'],
        [{ architecture: { type: 'mlp', filters: [4] } }, '/architecture/filters'],
        [
          { architecture: { type: 'cnn', inputShape: [8, 8, 1], hiddenUnits: [4] } },
          '/architecture/hiddenUnits',
        ],
      ];
      for (const [patch, field] of cases) {
        const problem = assertProblem(await submit({ dataset: digits.id, ...patch }), 400, 'invalid_job');
        assert.equal(problem.field, field, JSON.stringify(patch));
      }
    });

    it('early stopping without validation rows is a 422', async () => {
      const problem = assertProblem(
        await submit({
          dataset: digits.id,
          architecture: mlp,
          validation: { split: 0 },
          hyperparameters: { earlyStopping: { patience: 1 } },
        }),
        422,
        'no_validation_data',
      );
      assert.equal(problem.field, '/hyperparameters/earlyStopping');
    });

    it('nothing was queued by the refused submissions', async () => {
      assert.deepEqual((await listJobs('')).items, []);
    });
  });

  describe('queued jobs, then trained by a worker', () => {
    const ids: Record<'a' | 'b' | 'c' | 'doomed', string> = { a: '', b: '', c: '', doomed: '' };
    let doomed: Dataset;

    it('submits jobs as queued with every default filled in and a queue position', async () => {
      const a = await submit({
        name: 'mlp a',
        dataset: digits.id,
        architecture: { type: 'mlp', hiddenUnits: [16] },
        hyperparameters: { epochs: 2 },
        seed: 1,
        metadata: { owner: 'tests' },
      });
      assert.equal(a.statusCode, 201, a.body);
      const jobA = a.json<JobView>();
      ids.a = jobA.id;
      assert.match(jobA.id, /^job_[0-9a-z]{26}$/);
      assert.equal(a.headers.location, `/v1/jobs/${jobA.id}`);
      assert.equal(jobA.status, 'queued');
      assert.equal(jobA.queuePosition, 1);
      assert.equal(jobA.name, 'mlp a');
      assert.deepEqual(jobA.spec, {
        name: 'mlp a',
        dataset: digits.id,
        task: 'classification',
        loss: null,
        validation: { split: 0.2 },
        baseModel: null,
        architecture: { type: 'mlp', hiddenUnits: [16], dropout: 0 },
        transfer: null,
        hyperparameters: {
          // Chosen from the 100 training rows: what the request left out.
          auto: ['batchSize', 'learningRate'],
          epochs: 2,
          batchSize: 16,
          learningRate: 0.003,
          beta1: 0.9,
          beta2: 0.999,
          epsilon: 1e-7,
          fineTune: null,
          earlyStopping: null,
        },
        augmentation: null,
        classWeight: null,
        preprocessing: 'auto',
        seed: 1,
        metadata: { owner: 'tests' },
      });
      assert.deepEqual(
        [jobA.modelId, jobA.error, jobA.progress, jobA.startedAt, jobA.finishedAt, jobA.attempts],
        [null, null, null, null, null, 0],
      );
      assert.deepEqual(jobA.history, []);

      const b = await submit({
        dataset: digits.id,
        baseModel: cnnBase.id,
        transfer: { head: { hiddenUnits: [16] } },
        hyperparameters: { epochs: 2, fineTune: { epochs: 1 } },
      });
      assert.equal(b.statusCode, 201, b.body);
      const jobB = b.json<JobView>();
      ids.b = jobB.id;
      assert.equal(jobB.queuePosition, 2);
      assert.equal(jobB.name, `job on ${digits.id}`);
      assert.deepEqual(jobB.spec.transfer, {
        cutLayer: null,
        freeze: 'all',
        head: { hiddenUnits: [16], dropout: 0.2 },
      });
      assert.deepEqual(jobB.spec.hyperparameters.fineTune, { epochs: 1, learningRate: 1e-5, unfreeze: null });
      assert.equal(Number.isInteger(jobB.spec.seed), true);

      const c = await submit({
        dataset: digits.id,
        validation: { dataset: validationSet.id },
        architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [4], denseUnits: 16 },
        hyperparameters: { epochs: 2 },
      });
      assert.equal(c.statusCode, 201, c.body);
      ids.c = c.json<JobView>().id;

      doomed = await uploadCsv(digitsCsv({ labels: ['5', '6'], perClass: 5 }), 'doomed');
      const d = await submit({
        dataset: doomed.id,
        architecture: { type: 'mlp' },
        hyperparameters: { epochs: 1 },
      });
      assert.equal(d.statusCode, 201, d.body);
      ids.doomed = d.json<JobView>().id;

      // Read back: 1 runs next.
      const positions = await Promise.all(
        [ids.a, ids.b, ids.c, ids.doomed].map(async (id) => (await getJob(id)).queuePosition),
      );
      assert.deepEqual(positions, [1, 2, 3, 4]);
    });

    it('lists jobs newest first, filters by status, and pages with limit and cursor', async () => {
      const all = await listJobs('');
      assert.deepEqual(
        all.items.map((j) => j.id),
        [ids.doomed, ids.c, ids.b, ids.a],
      );
      assert.equal(all.nextCursor, null);

      const first = await listJobs('?limit=3');
      assert.deepEqual(
        first.items.map((j) => j.id),
        [ids.doomed, ids.c, ids.b],
      );
      assert.equal(first.nextCursor, ids.b);
      const second = await listJobs(`?limit=3&cursor=${first.nextCursor}`);
      assert.deepEqual(
        second.items.map((j) => j.id),
        [ids.a],
      );
      assert.equal(second.nextCursor, null);
      const pairs = await listJobs('?limit=2');
      assert.equal(pairs.nextCursor, ids.c);
      const last = await listJobs(`?limit=2&cursor=${ids.c}`);
      assert.deepEqual(
        last.items.map((j) => j.id),
        [ids.b, ids.a],
      );
      // A page that ends exactly at the last job says there is no next page.
      assert.equal(last.nextCursor, null);
      assert.equal((await listJobs('?limit=4')).nextCursor, null);

      assert.equal((await listJobs('?status=queued')).items.length, 4);
      assert.deepEqual((await listJobs('?status=succeeded')).items, []);
      assert.deepEqual((await listJobs('?status=running&limit=1')).items, []);
    });

    it('bad list queries and job ids are 400, unknown jobs 404', async () => {
      const cases: Array<[string, string]> = [
        ['?status=done', '/querystring/status'],
        ['?limit=0', '/querystring/limit'],
        ['?limit=101', '/querystring/limit'],
        ['?cursor=ds_01hzzzzzzzzzzzzzzzzzzzzzzz', '/querystring/cursor'],
        ['?offset=2', '/querystring/offset'],
      ];
      for (const [query, field] of cases) {
        const problem = assertProblem(
          await fastify.inject({ method: 'GET', url: `/v1/jobs${query}` }),
          400,
          'validation_failed',
        );
        assert.equal(problem.field, field, query);
      }
      const missing = assertProblem(
        await fastify.inject({ method: 'GET', url: `/v1/jobs/${MISSING_JOB}` }),
        404,
        'job_not_found',
      );
      assert.equal(missing.jobId, MISSING_JOB);
      assertProblem(await fastify.inject({ method: 'GET', url: '/v1/jobs/job_1' }), 400, 'validation_failed');
    });

    it('a dataset or base model used by a queued job cannot be deleted: 409 naming the jobs', async () => {
      const dataset = assertProblem(
        await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${digits.id}` }),
        409,
        'dataset_in_use',
      );
      assert.deepEqual([...(dataset.jobs as string[])].sort(), [ids.a, ids.b, ids.c].sort());
      const validation = assertProblem(
        await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${validationSet.id}` }),
        409,
        'dataset_in_use',
      );
      assert.deepEqual(validation.jobs, [ids.c]);
      const model = assertProblem(
        await fastify.inject({ method: 'DELETE', url: `/v1/models/${cnnBase.id}` }),
        409,
        'model_in_use',
      );
      assert.deepEqual(model.jobs, [ids.b]);
      // Unused ones can go.
      const unused = await fastify.inject({ method: 'DELETE', url: `/v1/models/${narrowBase.id}` });
      assert.equal(unused.statusCode, 204);
    });

    it('a worker trains the queued jobs in order and the API reports their results', async () => {
      // The doomed job's dataset disappears behind the API's back (as if another replica deleted it).
      await new DatasetStore(new FsStore(env.dataDir)).delete('default', doomed.id);
      worker = await startWorker(env.config);

      const a = await waitForJob(fastify, ids.a);
      assert.equal(a.status, 'succeeded', JSON.stringify(a.error));
      assert.equal(a.modelId, `mdl_${ids.a.slice(4)}`);
      assert.equal(a.queuePosition, null);
      assert.equal(a.attempts, 1);
      const backend = await selectBackend('auto');
      assert.deepEqual(a.backend, { name: backend.name, device: backend.device });
      assert.deepEqual(
        a.history.map((row) => [row.epoch, row.phase]),
        [
          [1, 'head'],
          [2, 'head'],
        ],
      );
      for (const row of a.history) {
        for (const value of [row.loss, row.accuracy, row.val_loss, row.val_accuracy])
          assert.equal(Number.isFinite(value), true);
      }
      assert.deepEqual(a.metrics, {
        loss: a.history[1]!.loss,
        accuracy: a.history[1]!.accuracy,
        val_loss: a.history[1]!.val_loss,
        val_accuracy: a.history[1]!.val_accuracy,
      });
      assert.equal(a.progress?.epoch, 2);
      assert.equal(a.progress?.epochs, 2);
      assert.equal(a.progress?.fraction, 1);
      // 120 rows, 20% held out per class: 10 × round(12 × 0.2) = 20 validation rows, 100 to train in batches of
      // 16 (the automatic batch size for them).
      assert.equal(a.progress?.batches, 7);
      assert.ok(Date.parse(a.finishedAt!) >= Date.parse(a.startedAt!));

      const b = await waitForJob(fastify, ids.b);
      assert.equal(b.status, 'succeeded', JSON.stringify(b.error));
      assert.deepEqual(
        b.history.map((row) => [row.epoch, row.phase]),
        [
          [1, 'head'],
          [2, 'head'],
          [3, 'fine-tune'],
        ],
      );
      const c = await waitForJob(fastify, ids.c);
      assert.equal(c.status, 'succeeded', JSON.stringify(c.error));

      const d = await waitForJob(fastify, ids.doomed);
      assert.equal(d.status, 'failed');
      assert.equal(d.error?.code, 'dataset_missing');
      assert.match(d.error.message, new RegExp(doomed.id));
      assert.equal(d.attempts, 1, 'a missing dataset is not retried');
      assert.equal(d.modelId, null);

      assert.deepEqual(
        (await listJobs('?status=succeeded')).items.map((j) => j.id),
        [ids.c, ids.b, ids.a],
      );
      assert.deepEqual(
        (await listJobs('?status=failed')).items.map((j) => j.id),
        [ids.doomed],
      );
      assert.deepEqual((await listJobs('?status=queued')).items, []);
      const page = await listJobs('?status=succeeded&limit=2');
      assert.deepEqual(
        page.items.map((j) => j.id),
        [ids.c, ids.b],
      );
      assert.deepEqual(
        (await listJobs(`?status=succeeded&limit=2&cursor=${page.nextCursor}`)).items.map((j) => j.id),
        [ids.a],
      );
    });

    it('trained models carry lineage, preprocessing and an evaluation', async () => {
      const b = await getJob(ids.b);
      const response = await fastify.inject({ method: 'GET', url: `/v1/models/${b.modelId}` });
      assert.equal(response.statusCode, 200);
      const model = response.json<ModelRecord>();
      assert.equal(model.source, 'job');
      assert.equal(model.name, b.name);
      assert.deepEqual(model.lineage, {
        jobId: ids.b,
        baseModelId: cnnBase.id,
        datasetId: digits.id,
        datasetSha256: digits.sha256,
      });
      assert.deepEqual(model.labels, DIGITS);
      assert.deepEqual(model.inputShape, [8, 8, 1]);
      assert.deepEqual(
        model.layers.map((l) => l.name),
        ['conv_input', 'conv', 'flat', 'head1_dense1', 'head1_dropout1', 'head1_output'],
      );
      // Transfer from an uploaded base keeps the base's input scaling: none.
      assert.equal(model.preprocessing, null);
      assert.deepEqual(model.history, b.history);
      assert.equal(model.evaluation?.split, 'validation');
      assert.equal(model.evaluation?.rows, 20);
      assert.equal(
        (model.evaluation as Evaluation | null)?.confusionMatrix.flat().reduce((n, v) => n + v, 0),
        20,
      );
      assert.deepEqual(
        (model.evaluation as Evaluation | null)?.perClass.map((p) => [p.label, p.support]),
        DIGITS.map((l) => [l, 2]),
      );
      assert.deepEqual(model.files, ['model.json', 'weights.bin']);

      // A separate validation dataset is what the evaluation uses.
      const c = await getJob(ids.c);
      const cnn = (
        await fastify.inject({ method: 'GET', url: `/v1/models/${c.modelId}` })
      ).json<ModelRecord>();
      assert.equal(cnn.evaluation?.rows, validationSet.rows);
      assert.equal(cnn.defaultCutLayer, 'features');
      assert.deepEqual(cnn.inputShape, [8, 8, 1]);
    });

    it('predicts with a trained model, and finished jobs free their dataset and base model', async () => {
      const a = await getJob(ids.a);
      const rows = digitRows({ perClass: 1 });
      const response = await fastify.inject({
        method: 'POST',
        url: `/v1/models/${a.modelId}/predict`,
        payload: { instances: rows.map((row) => row.pixels), topK: 10 },
      });
      assert.equal(response.statusCode, 200, response.body);
      const { predictions } = response.json<{
        predictions: Array<{ label: string; top: Array<{ label: string; score: number }> }>;
      }>();
      assert.equal(predictions.length, 10);
      for (const prediction of predictions) {
        assert.deepEqual(prediction.top.map((t) => t.label).sort(), DIGITS);
        const total = prediction.top.reduce((n, t) => n + t.score, 0);
        assert.ok(Math.abs(total - 1) < 1e-4, `softmax scores sum to ${total}`);
      }

      assert.equal(
        (await fastify.inject({ method: 'DELETE', url: `/v1/models/${cnnBase.id}` })).statusCode,
        204,
      );
      assert.equal(
        (await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${digits.id}` })).statusCode,
        204,
      );
      assert.equal(
        (await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${validationSet.id}` })).statusCode,
        204,
      );
      // The model trained from the base outlives it.
      const b = await getJob(ids.b);
      assert.equal((await fastify.inject({ method: 'GET', url: `/v1/models/${b.modelId}` })).statusCode, 200);
    });
  });
});
