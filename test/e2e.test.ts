import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobView } from '../src/jobs/job-service.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { listen, spawnWorker, type Spawned } from './helpers/processes.js';
import { sha256 } from './helpers/tf-model.js';
import type { FastifyInstance } from 'fastify';

const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];

interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

describe('end to end: a listening API, a worker process and a TF.js client', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let worker: Spawned;

  const request = async <T>(method: string, path: string, body?: string, type = 'application/json') => {
    const response = await fetch(`${base}${path}`, {
      method,
      headers: body === undefined ? {} : { 'content-type': type },
      body,
    });
    const text = await response.text();
    return {
      status: response.status,
      type: response.headers.get('content-type'),
      body: text,
      json: () => JSON.parse(text) as T,
    };
  };

  before(async () => {
    env = await createTestEnv('e2e');
    ({ server, base } = await listen(env.config));
    worker = spawnWorker(env.config);
  });

  after(async () => {
    await worker?.kill();
    await server?.close();
    await env?.cleanup();
  });

  let dataset: Dataset;
  let job: JobView;
  let record: ModelRecord;

  it('uploads the digits CSV over HTTP', async () => {
    const csv = digitsCsv({ perClass: 30 });
    const response = await request<Dataset>('POST', '/v1/datasets?name=digits', csv, 'text/csv');
    assert.equal(response.status, 201, response.body);
    dataset = response.json();
    assert.equal(dataset.rows, 300);
    assert.deepEqual(dataset.labels, DIGITS);
    assert.equal(dataset.sha256, sha256(csv));
  });

  it('trains a small CNN in the worker process until the job succeeds', async () => {
    const submitted = await request<JobView>(
      'POST',
      '/v1/jobs',
      JSON.stringify({
        name: 'e2e cnn',
        dataset: dataset.id,
        architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [8], denseUnits: 32 },
        hyperparameters: { epochs: 4, learningRate: 0.005 },
        seed: 3,
      }),
    );
    assert.equal(submitted.status, 201, submitted.body);
    assert.equal(submitted.json().status, 'queued');
    const id = submitted.json().id;

    const deadline = Date.now() + 120_000;
    const seen = new Set<string>();
    for (;;) {
      const response = await request<JobView>('GET', `/v1/jobs/${id}`);
      assert.equal(response.status, 200, response.body);
      job = response.json();
      seen.add(job.status);
      if (job.status === 'succeeded' || job.status === 'failed') break;
      assert.equal(worker.child.exitCode, null, `the worker exited early:\n${worker.output()}`);
      assert.ok(
        Date.now() < deadline,
        `job still ${job.status} after 120 s; worker output:\n${worker.output()}`,
      );
      await sleep(100);
    }
    assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${worker.output()}`);
    assert.equal(job.attempts, 1);
    assert.deepEqual(
      job.history.map((row) => row.epoch),
      [1, 2, 3, 4],
    );
    assert.equal(job.modelId, `mdl_${id.slice(4)}`);
    // The worker selected its backend the way the API did (TFJS_BACKEND=auto on the same machine).
    const ready = await request<{ backend: { name: string; device: string } }>('GET', '/ready');
    assert.deepEqual(job.backend, ready.json().backend);
    assert.ok(job.metrics.val_accuracy! > 0.5, `val_accuracy ${job.metrics.val_accuracy}`);
  });

  it('the model record holds the preprocessing the service applies', async () => {
    const response = await request<ModelRecord>('GET', `/v1/models/${job.modelId}`);
    assert.equal(response.status, 200);
    record = response.json();
    assert.equal(record.source, 'job');
    assert.deepEqual(record.inputShape, [8, 8, 1]);
    assert.deepEqual(record.labels, DIGITS);
    assert.equal(record.lineage.datasetSha256, dataset.sha256);
    // Rows a CNN takes as images are scaled as a whole, by the largest pixel value (16) of the training split.
    assert.deepEqual(record.preprocessing, { pixels: { scale: 1 / 16, offset: 0 } });
  });

  it('tf.loadLayersModel over HTTP gives the predictions POST /predict gives, and the metadata', async () => {
    const client = await tf.loadLayersModel(`${base}/v1/models/${record.id}/model.json`);
    try {
      assert.deepEqual(client.inputs[0]!.shape, [null, 8, 8, 1]);
      assert.deepEqual(client.outputs[0]!.shape, [null, 10]);
      assert.deepEqual(client.getUserDefinedMetadata(), {
        finetuned: {
          modelId: record.id,
          labels: DIGITS,
          preprocessing: record.preprocessing,
          columns: record.columns,
        },
      });

      // Rows the model did not train on (it saw the first 30 of each digit): the 40th of each.
      const rows = digitRows({ perClass: 40 }).filter(
        (row, i, all) => all.findLastIndex((r) => r.label === row.label) === i,
      );
      assert.equal(rows.length, 10);
      const { scale, offset } = record.preprocessing!.pixels!;
      const scaled = rows.flatMap((row) => row.pixels.map((v) => v * scale + offset));
      const local = tf.tidy(
        () =>
          (client.predict(tf.tensor(scaled, [rows.length, 8, 8, 1])) as tf.Tensor).arraySync() as number[][],
      );

      const response = await request<{ modelId: string; predictions: Prediction[] }>(
        'POST',
        `/v1/models/${record.id}/predict`,
        JSON.stringify({ instances: rows.map((row) => row.pixels), topK: 10 }),
      );
      assert.equal(response.status, 200, response.body);
      const { predictions } = response.json();
      assert.equal(predictions.length, rows.length);
      predictions.forEach((prediction, i) => {
        const scores = local[i]!;
        const best = scores.indexOf(Math.max(...scores));
        assert.equal(prediction.label, DIGITS[best], `row ${i}`);
        for (const { label, score } of prediction.top) {
          assert.ok(
            Math.abs(score - scores[DIGITS.indexOf(label)]!) < 1e-4,
            `row ${i} label ${label}: ${score} vs ${scores[DIGITS.indexOf(label)]}`,
          );
        }
      });
    } finally {
      client.dispose();
    }
  });

  it('errors over the wire are problem+json', async () => {
    const response = await request(
      'POST',
      '/v1/jobs',
      JSON.stringify({ dataset: dataset.id, architecture: { type: 'cnn', inputShape: [4, 4, 1] } }),
    );
    assert.equal(response.status, 422);
    assert.match(response.type ?? '', /^application\/problem\+json/);
    assert.equal((response.json() as { code: string }).code, 'shape_mismatch');
  });

  it('the worker drains and exits 0 on SIGTERM', async () => {
    worker.child.kill('SIGTERM');
    const [code, signal] = await worker.exited;
    assert.equal(signal, null, worker.output());
    assert.equal(code, 0, worker.output());
  });
});
