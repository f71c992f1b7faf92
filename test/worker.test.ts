import * as tf from '@tensorflow/tfjs';
import { Queue } from 'bullmq';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { parseCsv } from '../src/datasets/dataset-parser.js';
import { DatasetStore, type Dataset } from '../src/datasets/dataset-store.js';
import type { JobService, JobView } from '../src/jobs/job-service.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import {
  QUEUES,
  trainingJobOptions,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { createRedis } from '../src/redis.js';
import { FsStore } from '../src/store/fs-store.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { sha256 } from './helpers/tf-model.js';
import { jobService, pollJob, startWorker, type InProcessWorker } from './helpers/worker.js';

const TENANT = 'default';

describe('training worker (real BullMQ worker in this process, no HTTP)', () => {
  let env: TestEnv;
  let producer: ReturnType<typeof createRedis>;
  let queue: Queue<TrainingPayload, TrainingResultValue>;
  let jobs: JobService;
  let models: ModelStore;
  let worker: InProcessWorker;
  let low: Dataset;
  let high: Dataset;
  let tensorsBefore: number;
  const finished: JobView[] = [];

  const run = async (request: JobRequest) => {
    const { job: submitted } = await jobs.submit(TENANT, request);
    const job = await pollJob(() => jobs.get(TENANT, submitted.id));
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    finished.push(job);
    return job;
  };

  const cnnJob = (): JobRequest => ({
    dataset: low.id,
    architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [8], denseUnits: 16 },
    hyperparameters: { epochs: 3, learningRate: 0.005 },
    seed: 11,
  });

  before(async () => {
    env = await createTestEnv('worker');
    const store = new FsStore(env.dataDir);
    const datasets = new DatasetStore(store);
    models = new ModelStore(store);
    const upload = async (name: string, labels: string[]) => {
      const csv = Buffer.from(digitsCsv({ labels, perClass: 40 }));
      return datasets.create(TENANT, name, 'csv', csv, await parseCsv(csv, { maxClasses: 1000 }));
    };
    low = await upload('digits 0-4', ['0', '1', '2', '3', '4']);
    high = await upload('digits 5-9', ['5', '6', '7', '8', '9']);

    producer = createRedis(env.config, 'producer');
    queue = new Queue(QUEUES.training, {
      connection: producer,
      prefix: env.prefix,
      defaultJobOptions: trainingJobOptions(1),
    });
    jobs = jobService(env.config, queue, producer);
    worker = await startWorker(env.config);
    tensorsBefore = tf.memory().numTensors;
  });

  after(async () => {
    await worker?.close();
    await queue?.close();
    producer?.disconnect();
    await env?.cleanup();
  });

  it('job 1 trains a CNN on digits 0–4 from scratch', async () => {
    const job = await run(cnnJob());
    assert.deepEqual(
      job.history.map((row) => row.phase),
      ['head', 'head', 'head'],
    );
    const record = await models.get(TENANT, job.modelId!);
    assert.equal(record?.defaultCutLayer, 'features');
    assert.deepEqual(record?.labels, ['0', '1', '2', '3', '4']);
    assert.equal((await queue.getJob(job.id))?.returnvalue.featureCaching, false);
  });

  it('job 2 transfers it to digits 5–9: the frozen base is cached, then fine-tuned', async () => {
    const base = finished[0]!.modelId!;
    const job = await run({
      dataset: high.id,
      baseModel: base,
      transfer: { head: { hiddenUnits: [16] } },
      hyperparameters: { epochs: 3, learningRate: 0.01, fineTune: { epochs: 1 } },
      seed: 12,
    });
    assert.deepEqual(
      job.history.map((row) => `${row.epoch} ${row.phase}`),
      ['1 head', '2 head', '3 head', '4 fine-tune'],
    );
    const result = (await queue.getJob(job.id))!.returnvalue;
    assert.equal(result.featureCaching, true);
    assert.equal(result.modelId, job.modelId);
    const record = (await models.get(TENANT, job.modelId!))!;
    assert.deepEqual(record.lineage, {
      jobId: job.id,
      baseModelId: base,
      datasetId: high.id,
      datasetSha256: high.sha256,
    });
    assert.deepEqual(record.labels, ['5', '6', '7', '8', '9']);
    // The frozen base was trained on inputs scaled its way, so the new model scales them the same way.
    const baseRecord = (await models.get(TENANT, base))!;
    assert.ok(baseRecord.preprocessing);
    assert.deepEqual(record.preprocessing, baseRecord.preprocessing);
    // The stored model is a complete TF.js model: model.json names the head on top of the base's layers.
    const json = JSON.parse((await models.file(TENANT, job.modelId!, 'model.json'))!.toString('utf8')) as {
      modelTopology: { config: { layers: Array<{ name: string }> } };
      userDefinedMetadata: { finetuned: { modelId: string; labels: string[] } };
    };
    assert.deepEqual(
      json.modelTopology.config.layers.map((layer) => layer.name),
      ['input', 'conv1', 'pool1', 'features', 'head1_dense1', 'head1_dropout1', 'head1_output'],
    );
    assert.deepEqual(json.userDefinedMetadata.finetuned.modelId, job.modelId);
    assert.deepEqual(json.userDefinedMetadata.finetuned.labels, ['5', '6', '7', '8', '9']);
  });

  it('job 3 repeats job 1: the same seed and data give identical metrics, history and weights', async () => {
    const job = await run(cnnJob());
    const first = finished[0]!;
    assert.notEqual(job.modelId, first.modelId);
    assert.deepEqual(job.metrics, first.metrics);
    assert.deepEqual(job.history, first.history);
    const [a, b] = await Promise.all([first, job].map((j) => models.file(TENANT, j.modelId!, 'weights.bin')));
    assert.equal(sha256(b!), sha256(a!));
    const [ra, rb] = await Promise.all([first, job].map((j) => models.get(TENANT, j.modelId!)));
    assert.deepEqual(rb!.evaluation, ra!.evaluation);
    assert.deepEqual(rb!.preprocessing, ra!.preprocessing);
  });

  it('after three consecutive jobs the worker holds exactly the tensors it held before', () => {
    assert.equal(finished.length, 3);
    assert.equal(tf.memory().numTensors, tensorsBefore);
  });
});
