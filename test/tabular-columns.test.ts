import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobView } from '../src/jobs/job-view.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { startWorker, waitForJob, type InProcessWorker } from './helpers/worker.js';

/** The Palmer penguins as R's palmerpenguins package ships them: text, numbers and NA cells. */
const PENGUINS = readFileSync(new URL('../datasets/penguins.csv', import.meta.url), 'utf8');

interface Predictions {
  predictions: Array<{ label: string; score: number }>;
}

describe('tabular data as users have it: text, blanks and column names', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let worker: InProcessWorker;

  const upload = (csv: string, query: string) =>
    fastify.inject({
      method: 'POST',
      url: `/v1/datasets?${query}`,
      headers: { 'content-type': 'text/csv' },
      payload: csv,
    });
  const predict = (id: string, instances: unknown[]) =>
    fastify.inject({ method: 'POST', url: `/v1/models/${id}/predict`, payload: { instances } });

  before(async () => {
    env = await createTestEnv('tabular-columns', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    fastify = await buildApp(env.config);
    worker = await startWorker(env.config);
  });

  after(async () => {
    await worker?.close();
    await fastify?.close();
    await env?.cleanup();
  });

  it('detects each column’s kind, keeps the names, and counts the blanks', async () => {
    const response = await upload(PENGUINS, 'name=penguins&labelColumn=species');
    assert.equal(response.statusCode, 201, response.body);
    const dataset = response.json<Dataset>();
    assert.deepEqual(dataset.labels, ['Adelie', 'Chinstrap', 'Gentoo']);
    const columns = Object.fromEntries(dataset.columns!.map((column) => [column.name, column]));
    assert.deepEqual(Object.keys(columns), [
      'island',
      'bill_length_mm',
      'bill_depth_mm',
      'flipper_length_mm',
      'body_mass_g',
      'sex',
      'year',
    ]);
    assert.deepEqual(columns.island, {
      name: 'island',
      kind: 'categorical',
      missing: 0,
      categories: ['Biscoe', 'Dream', 'Torgersen'],
      other: false,
    });
    assert.deepEqual(columns.bill_length_mm, {
      name: 'bill_length_mm',
      kind: 'numeric',
      missing: 2,
      indicator: true,
    });
    assert.equal(columns.sex!.missing, 11);
    // island 3, four measurements with indicators 8, sex 2, year 1.
    assert.deepEqual(dataset.featureShape, [14]);
  });

  it('takes a column’s kind from the upload, and refuses a stray text cell among numbers naming it', async () => {
    const csv = 'zip,size,label\n10115,1.5,a\n20095,2,b\n10115,x,a\n80331,3,b\n';
    const problem = assertProblem(await upload(csv, 'name=z'), 400, 'invalid_dataset');
    assert.deepEqual([problem.row, problem.column], [3, 'size']);
    const told = await upload(csv.replace(',x,', ',2.5,'), 'name=z&columns=zip:categorical');
    assert.equal(told.statusCode, 201, told.body);
    assert.deepEqual(told.json<Dataset>().columns![0]!.categories, ['10115', '20095', '80331']);
    const unknown = assertProblem(
      await upload(csv, 'name=z&columns=postcode:categorical'),
      400,
      'validation_failed',
    );
    assert.equal(unknown.field, 'columns');
    const blank = assertProblem(await upload('a,b,label\n1,,x\n2,,y\n', 'name=z'), 400, 'invalid_dataset');
    assert.equal(blank.column, 'b');
  });

  it('trains on them and predicts by column name, with text and nulls, or in column order', async () => {
    const dataset = (await upload(PENGUINS, 'name=penguins&labelColumn=species')).json<Dataset>();
    const submitted = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        dataset: dataset.id,
        architecture: { type: 'mlp', hiddenUnits: [16] },
        hyperparameters: { epochs: 30, batchSize: 32, learningRate: 0.01 },
        seed: 3,
      },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    const job: JobView = await waitForJob(fastify, submitted.json<JobView>().id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.ok(job.metrics.val_accuracy! > 0.9, `validation accuracy ${job.metrics.val_accuracy}`);
    const model = (await fastify.inject({ url: `/v1/models/${job.modelId}` })).json<ModelRecord>();
    assert.deepEqual(model.columns, dataset.columns);

    const gentoo = {
      island: 'Biscoe',
      bill_length_mm: 47.5,
      bill_depth_mm: 14.2,
      flipper_length_mm: 209,
      body_mass_g: null,
      sex: 'female',
      year: 2008,
    };
    const adelie = ['Torgersen', '39.1', 18.7, 181, 3750, 'NA', 2007];
    const response = await predict(model.id, [gentoo, adelie]);
    assert.equal(response.statusCode, 200, response.body);
    const labels = response.json<Predictions>().predictions.map((prediction) => prediction.label);
    assert.deepEqual(labels, ['Gentoo', 'Adelie']);

    const refusals: Array<[unknown, string]> = [
      [{ ...gentoo, beak: 3 }, '/instances/0/beak'],
      [{ ...gentoo, sex: undefined }, '/instances/0/sex'],
      [{ ...gentoo, bill_depth_mm: 'deep' }, '/instances/0/bill_depth_mm'],
      [{ ...gentoo, island: { name: 'Biscoe' } }, '/instances/0/island'],
      [adelie.slice(1), '/instances/0'],
      [[...adelie.slice(0, 2), 'x', ...adelie.slice(3)], '/instances/0/2'],
    ];
    for (const [instance, field] of refusals) {
      const problem = assertProblem(await predict(model.id, [instance]), 422, 'invalid_instance');
      assert.equal(problem.field, field, problem.detail);
    }
  });

  it('encodes a validation CSV as the training one with columnsFrom, and refuses one encoded otherwise', async () => {
    const [header, ...lines] = PENGUINS.trim().split('\n');
    // Adelie and Gentoo penguins of Torgersen first: detected alone, their islands would be other features.
    const held = new Set([...Array(40).keys(), ...Array.from({ length: 10 }, (_, i) => 152 + i)]);
    const train = (
      await upload([header, ...lines.filter((_, i) => !held.has(i))].join('\n'), 'name=t&labelColumn=species')
    ).json<Dataset>();
    const rest = [header, ...lines.filter((_, i) => held.has(i))].join('\n');
    const alone = (await upload(rest, 'name=v&labelColumn=species')).json<Dataset>();
    assert.notDeepEqual(alone.columns, train.columns);
    const response = await upload(rest, `name=v&labelColumn=species&columnsFrom=${train.id}`);
    assert.equal(response.statusCode, 201, response.body);
    const validation = response.json<Dataset>();
    assert.deepEqual([validation.columns, validation.featureShape], [train.columns, train.featureShape]);
    const job = (payload: object) => fastify.inject({ method: 'POST', url: '/v1/jobs', payload });
    const spec = {
      dataset: train.id,
      architecture: { type: 'mlp', hiddenUnits: [4] },
      hyperparameters: { epochs: 1 },
    };
    const refused = assertProblem(
      await job({ ...spec, validation: { dataset: alone.id } }),
      422,
      'shape_mismatch',
    );
    assert.equal(refused.field, '/validation/dataset');
    assert.equal((await job({ ...spec, validation: { dataset: validation.id } })).statusCode, 201);
    const extra = assertProblem(
      await upload(
        rest.replace('species,', 'species,tag,').replaceAll('\n', ',x\n'),
        `name=v&labelColumn=species&columnsFrom=${train.id}`,
      ),
      400,
      'invalid_dataset',
    );
    assert.equal(extra.column, 'tag', extra.detail);
  });
});
