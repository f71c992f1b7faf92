import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import type { ModelRecord } from '../src/models/model-store.js';
import type { Evaluation } from '../src/training/evaluate.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { fashionImages, zipOf } from './helpers/archives.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { modelUpload, postModel, saveModel, smallCnn } from './helpers/tf-model.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

const CNN = { type: 'cnn' as const, inputShape: [8, 8, 1], filters: [4], denseUnits: 16 };

interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

describe('preprocessing and validation warnings through the API (real Redis, an in-process worker)', () => {
  let env: TestEnv;
  let app: FastifyInstance;
  let worker: InProcessWorker;
  let digits: Dataset;
  let images: Dataset;
  let base: ModelRecord;

  const submit = (request: JobRequest) => app.inject({ method: 'POST', url: '/v1/jobs', payload: request });
  const getJson = async <T>(url: string) => (await app.inject({ url })).json<T>();

  before(async () => {
    env = await createTestEnv('preprocessing-jobs', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    app = await buildApp(env.config);
    worker = await startWorker(env.config);
    // 30 rows each of 0 and 1, and one 8: too few for the hold-out to take one.
    const csv = digitsCsv({ labels: ['0', '1'], perClass: 30 });
    const eight = digitRows({ labels: ['8'], perClass: 1 })[0]!;
    digits = await uploadCsv(app, `${csv}8,${eight.pixels.join(',')}\n`, 'skewed');
    const response = await app.inject({
      method: 'POST',
      url: '/v1/datasets?name=fashion',
      headers: { 'content-type': 'application/zip' },
      payload: zipOf(await fashionImages(4)),
    });
    assert.equal(response.statusCode, 201, response.body);
    images = response.json<Dataset>();
    const cnn = smallCnn();
    base = await postModel(app, modelUpload(await saveModel(cnn)));
    cnn.dispose();
  });

  after(async () => {
    await worker?.close();
    await app?.close();
    await env?.cleanup();
  });

  it('refuses a preprocessing its inputs cannot take, pooling on an MLP and bad class weights; takes a base’s own kind, and raw pixels', async () => {
    const cases: Array<[JobRequest, number, string, string]> = [
      [
        {
          dataset: images.id,
          architecture: { ...CNN, inputShape: [28, 28, 1] },
          preprocessing: 'standardize',
        },
        422,
        'invalid_job',
        '/preprocessing',
      ],
      // An uploaded base takes its inputs as they are: 'none' (or auto) is its own, 'scale' is not.
      [
        { dataset: digits.id, baseModel: base.id, preprocessing: 'scale' },
        422,
        'invalid_job',
        '/preprocessing',
      ],
      [
        { dataset: digits.id, architecture: CNN, preprocessing: 'zscore' as never },
        400,
        'validation_failed',
        '/body/preprocessing',
      ],
      [
        { dataset: digits.id, architecture: { type: 'mlp', pooling: 'avg' } },
        400,
        'invalid_job',
        '/architecture/pooling',
      ],
      [
        { dataset: digits.id, architecture: { ...CNN, pooling: 'min' as never } },
        400,
        'validation_failed',
        '/body/architecture/pooling',
      ],
      [
        { dataset: digits.id, architecture: CNN, classWeight: { '8': 0 } },
        400,
        'validation_failed',
        '/body/classWeight',
      ],
      [
        { dataset: digits.id, architecture: CNN, classWeight: { '7': 2 } },
        422,
        'unknown_labels',
        '/classWeight',
      ],
    ];
    for (const [request, status, code, field] of cases) {
      const problem = assertProblem(await submit(request), status, code);
      assert.equal(problem.field, field, problem.detail);
    }
    // Images from scratch are scaled to 0..1 unless the job says 'none': then the pixels go in as they are.
    const raw = await submit({
      dataset: images.id,
      architecture: { ...CNN, inputShape: [28, 28, 1] },
      preprocessing: 'none',
      hyperparameters: { epochs: 1 },
    });
    assert.equal(raw.statusCode, 201, raw.body);
    const rawJob = await waitForJob(app, raw.json<JobView>().id);
    assert.equal(rawJob.status, 'succeeded', JSON.stringify(rawJob.error));
    assert.equal((await getJson<ModelRecord>(`/v1/models/${rawJob.modelId}`)).preprocessing, null);
    const own = await submit({
      dataset: digits.id,
      baseModel: base.id,
      preprocessing: 'none',
      hyperparameters: { epochs: 1 },
    });
    assert.equal(own.statusCode, 201, own.body);
    assert.equal(own.json<JobView>().spec.preprocessing, 'none');
    await waitForJob(app, own.json<JobView>().id);
  });

  it('a CNN job on image-shaped rows: the model records the scaling, predict applies it, and the split is a warning event', async () => {
    const response = await submit({
      dataset: digits.id,
      architecture: { ...CNN, pooling: 'none' },
      hyperparameters: { epochs: 2 },
      seed: 4,
    });
    assert.equal(response.statusCode, 201, response.body);
    const job = await waitForJob(app, response.json<JobView>().id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.equal(job.spec.preprocessing, 'auto');
    assert.deepEqual(job.spec.architecture, {
      ...CNN,
      kernelSize: 3,
      dropout: 0.25,
      pooling: 'none',
      globalPooling: false,
    });
    const warnings = (await getJson<{ items: JobEvent[] }>(`/v1/jobs/${job.id}/events?limit=1000`)).items
      .filter((event) => event.type === 'log' && event.data.level === 'warn')
      .map((event) => String(event.data.message));
    assert.equal(warnings.length, 1, warnings.join(' | '));
    assert.match(warnings[0]!, /^no validation rows of '8' \(1 row\): /);

    const record = await getJson<ModelRecord>(`/v1/models/${job.modelId}`);
    const evaluation = record.evaluation as Evaluation | null;
    assert.deepEqual(record.preprocessing, { pixels: { scale: 1 / 16, offset: 0 } });
    // Stored with the record: the classes with rows whose recall is far below the mean ('8' has none).
    assert.ok(evaluation?.lowRecall?.every(({ label }) => label !== '8'));
    assert.equal(evaluation?.perClass[2]?.support, 0);

    // The model's own output on rows scaled by 1/16 is what predict answers for the raw rows.
    const modelJson = await getJson<tf.io.ModelJSON>(`/v1/models/${record.id}/model.json`);
    const weights = (await app.inject({ url: `/v1/models/${record.id}/weights.bin` })).rawPayload;
    const local = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest[0]!.weights,
        weightData: new Uint8Array(weights).buffer,
      }),
    );
    const rows = digitRows({ labels: ['0', '1'], perClass: 40 }).slice(-4);
    const expected = tf.tidy(
      () =>
        (
          local.predict(
            tf.tensor(rows.map((row) => row.pixels.map((v) => v / 16))).reshape([4, 8, 8, 1]),
          ) as tf.Tensor
        ).arraySync() as number[][],
    );
    local.dispose();
    const predicted = await app.inject({
      method: 'POST',
      url: `/v1/models/${record.id}/predict`,
      payload: { instances: rows.map((row) => row.pixels), topK: 3 },
    });
    assert.equal(predicted.statusCode, 200, predicted.body);
    predicted.json<{ predictions: Prediction[] }>().predictions.forEach((prediction, i) => {
      for (const { label, score } of prediction.top) {
        const want = expected[i]![record.labels!.indexOf(label)]!;
        assert.ok(
          Math.abs(score - want) < 1e-5,
          `row ${i} '${label}': ${score} served, ${want} by the model`,
        );
      }
    });
  });
});
