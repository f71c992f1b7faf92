import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import { estimateJobCost } from '../src/jobs/job-cost.js';
import type { JobView } from '../src/jobs/job-service.js';
import { resolveJobSpec } from '../src/jobs/job-spec.js';
import type { SweepView } from '../src/sweeps/sweep-view.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, testKeys, type TestEnv } from './helpers/env.js';

const OTHER = {
  id: 'other',
  key: 'ft_sweep-checks-key-of-another-tenant',
  tenant: 'other',
  scopes: ['admin'],
};
const MISSING_DATASET = 'ds_01hzzzzzzzzzzzzzzzzzzzzzzz';
const MAX_ACTIVE = 16;
const mlp = { type: 'mlp' as const, hiddenUnits: [8] };

/** The work of a training batch of `batchSize` rows of this file's MLP on digits (64 values, 10 classes). */
const batchFlops = (batchSize: number) =>
  estimateJobCost(
    resolveJobSpec(
      { dataset: MISSING_DATASET, architecture: mlp, hyperparameters: { epochs: 3, batchSize } },
      () => 0,
    ),
    { featureShape: [64], classes: 10, rows: batchSize },
  ).batchFlops;

describe('sweep submission: what is refused, and how trials are planned (no worker)', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let digits: Dataset;

  const submit = (payload: object, authorization?: string) =>
    fastify.inject({
      method: 'POST',
      url: '/v1/sweeps',
      payload,
      headers: authorization ? { authorization } : {},
    });
  const created = async (payload: object) => {
    const response = await submit(payload);
    assert.equal(response.statusCode, 201, response.body);
    return response.json<SweepView>();
  };
  const sweepOf = (over: Record<string, unknown> = {}, job: Record<string, unknown> = {}) => ({
    job: { dataset: digits.id, architecture: mlp, hyperparameters: { epochs: 3 }, ...job },
    space: { learningRate: { values: [0.01, 0.001] } },
    method: 'grid',
    ...over,
  });

  /** Asserts the refusal, and that it left no sweep, no trial job and no used place in the tenant's quota. */
  const refused = async (payload: object, status: number, code: string) => {
    const problem = assertProblem(await submit(payload), status, code);
    const sweeps = await fastify.inject({ method: 'GET', url: '/v1/sweeps' });
    assert.deepEqual(sweeps.json<{ items: SweepView[] }>().items, [], 'no sweep left behind');
    const jobs = await fastify.inject({ method: 'GET', url: '/v1/jobs' });
    assert.deepEqual(jobs.json<{ items: JobView[] }>().items, [], 'no trial job left behind');
    assert.equal((await fastify.quotas.usage('default')).activeJobs, 0, 'no active job counted');
    return problem;
  };

  before(async () => {
    env = await createTestEnv('sweep-checks', {
      TENANT_MAX_ACTIVE_JOBS: MAX_ACTIVE,
      // A batch of 32 rows fits, one of 64 does not.
      JOB_MAX_BATCH_FLOPS: batchFlops(32),
      API_KEYS: testKeys([OTHER]),
    });
    fastify = await buildApp(env.config);
    // 100 rows: 80 to train on, 20 held out.
    digits = await uploadCsv(fastify, digitsCsv({ perClass: 10 }), 'digits');
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('a range in a grid, min above max, and a log range from 0 are 400 invalid_sweep naming the entry', async () => {
    const grid = await refused(
      sweepOf({ space: { learningRate: { min: 0.001, max: 0.1 } } }),
      400,
      'invalid_sweep',
    );
    assert.equal(grid.field, '/space/learningRate');
    const inverted = await refused(
      sweepOf({ method: 'random', space: { learningRate: { min: 0.1, max: 0.001 } } }),
      400,
      'invalid_sweep',
    );
    assert.equal(inverted.field, '/space/learningRate/max');
    const log = await refused(
      sweepOf({ method: 'random', space: { dropout: { min: 0, max: 0.5, scale: 'log' } } }),
      400,
      'invalid_sweep',
    );
    assert.equal(log.field, '/space/dropout/min');
    // A learning rate of 0 is outside the range's schema altogether: refused as the bound it is.
    const zero = await refused(
      sweepOf({ method: 'random', space: { learningRate: { min: 0, max: 0.1 } } }),
      400,
      'validation_failed',
    );
    assert.equal(zero.field, '/body/space/learningRate/min');
    const half = await refused(
      sweepOf({ method: 'random', space: { learningRate: { min: 0.001 } } }),
      400,
      'invalid_sweep',
    );
    assert.equal(half.field, '/space/learningRate/max');
    const both = await refused(
      sweepOf({ method: 'random', space: { dropout: { values: [0.1], min: 0, max: 0.5 } } }),
      400,
      'invalid_sweep',
    );
    assert.equal(both.field, '/space/dropout');
  });

  it("a trial's job the job route would refuse, and a model id as alias, are refused with the sweep", async () => {
    const empty = await refused(sweepOf({ space: { hiddenUnits: { values: [[]] } } }), 400, 'invalid_job');
    assert.equal(empty.field, '/space/hiddenUnits');
    // A job with neither an architecture nor a base: the job's own 400, whatever the space sets.
    const bare = await refused(
      sweepOf({ space: { dropout: { values: [0.1] } } }, { architecture: undefined }),
      400,
      'invalid_job',
    );
    assert.equal(bare.field, '/job/baseModel');
    const alias = await refused(sweepOf({ alias: 'mdl_best' }), 400, 'invalid_sweep');
    assert.equal(alias.field, '/alias');
  });

  it('settings the job cannot take, a metric of another task, and too many grid trials are 422s naming the field', async () => {
    const cnn = { type: 'cnn', inputShape: [8, 8, 1] };
    const hidden = await refused(
      sweepOf({ space: { hiddenUnits: { values: [[8], [16]] } } }, { architecture: cnn }),
      422,
      'invalid_sweep',
    );
    assert.equal(hidden.field, '/space/hiddenUnits');
    const unfreeze = await refused(
      sweepOf({ space: { unfreeze: { values: [0, 1] } } }),
      422,
      'invalid_sweep',
    );
    assert.equal(unfreeze.field, '/space/unfreeze');
    const metric = await refused(sweepOf({ metric: 'val_r2' }), 422, 'invalid_sweep');
    assert.equal(metric.field, '/metric');
    const trials = await refused(sweepOf({ trials: 3 }), 422, 'invalid_sweep');
    assert.equal(trials.field, '/trials');
  });

  it('a trial over the job budget is refused as the space entry that set it, naming the trial', async () => {
    const problem = await refused(
      sweepOf({ space: { batchSize: { values: [16, 64] } } }),
      422,
      'job_too_costly',
    );
    assert.equal(problem.field, '/space/batchSize');
    assert.equal(problem.trial, 2);
    assert.match(problem.detail, /^trial 2 \(batchSize 64\): /);
  });

  it('a job with no validation rows is 422 no_validation_data; an unknown dataset is 404', async () => {
    const none = await refused(sweepOf({}, { validation: { split: 0 } }), 422, 'no_validation_data');
    assert.equal(none.field, '/job/validation');
    assert.equal(none.trial, 1);
    const missing = await refused(sweepOf({}, { dataset: MISSING_DATASET }), 404, 'dataset_not_found');
    assert.equal(missing.datasetId, MISSING_DATASET);
    assert.equal(missing.field, '/job/dataset');
    assert.equal(missing.trial, undefined, 'the same for every trial');
  });

  it('a sweep of more trials than TENANT_MAX_ACTIVE_JOBS is 429, undoing the trials admitted before', async () => {
    const values = Array.from({ length: MAX_ACTIVE + 1 }, (_, i) => i + 1);
    const problem = await refused(sweepOf({ space: { batchSize: { values } } }), 429, 'quota_exceeded');
    assert.equal(problem.quota, 'active_jobs');
    assert.equal(problem.limit, MAX_ACTIVE);
  });

  const random = (seed: number) =>
    sweepOf({ method: 'random', trials: 4, seed, space: { learningRate: { min: 1e-4, max: 1e-1 } } });

  it('a random search with the same seed plans the same trials, drawing a log range within it', async () => {
    const a = await created(random(7));
    const b = await created(random(7));
    const rates = a.trials.map((trial) => trial.settings.learningRate as number);
    assert.deepEqual(
      b.trials.map((trial) => trial.settings),
      a.trials.map((trial) => trial.settings),
    );
    assert.equal((a.spec as { seed?: number }).seed, 7);
    assert.equal(new Set(rates).size, 4, `four draws: ${rates.join(', ')}`);
    for (const rate of rates) assert.ok(rate >= 1e-4 && rate <= 1e-1, `${rate} within [1e-4, 1e-1]`);
    // Drawn in the logarithm: a decade below 0.01 is as likely as one above it (linearly, 9% would fall there).
    assert.ok(
      rates.some((rate) => rate < 0.01),
      `a draw below 0.01: ${rates.join(', ')}`,
    );
  });

  it('a grid lists every combination, the first entry varying slowest, each trial named and tagged', async () => {
    const sweep = await created(
      sweepOf({
        name: 'grid order',
        space: { learningRate: { values: [0.1, 0.01] }, batchSize: { values: [8, 16] } },
      }),
    );
    assert.deepEqual(
      sweep.trials.map((trial) => [trial.trial, trial.settings]),
      [
        [1, { learningRate: 0.1, batchSize: 8 }],
        [2, { learningRate: 0.1, batchSize: 16 }],
        [3, { learningRate: 0.01, batchSize: 8 }],
        [4, { learningRate: 0.01, batchSize: 16 }],
      ],
    );
    assert.equal(sweep.status, 'queued');
    const job = await fastify.inject({ method: 'GET', url: `/v1/jobs/${sweep.trials[2]!.jobId}` });
    const view = job.json<JobView>();
    assert.equal(view.name, 'grid order, trial 3');
    assert.deepEqual(view.spec.metadata, { sweep: sweep.id, trial: '3' });
    assert.equal(view.spec.hyperparameters.learningRate, 0.01);
    assert.equal(view.spec.hyperparameters.batchSize, 8);
  });

  it("another tenant's sweep is a 404 to read, list or cancel; a malformed id is 400", async () => {
    const [mine] = (await fastify.inject({ method: 'GET', url: '/v1/sweeps' })).json<{
      items: SweepView[];
    }>().items;
    const as = (method: 'GET' | 'POST', url: string) =>
      fastify.inject({ method, url, headers: { authorization: `Bearer ${OTHER.key}` } });
    const read = assertProblem(await as('GET', `/v1/sweeps/${mine!.id}`), 404, 'sweep_not_found');
    assert.equal(read.sweepId, mine!.id);
    assertProblem(await as('POST', `/v1/sweeps/${mine!.id}/cancel`), 404, 'sweep_not_found');
    assertProblem(await as('GET', `/v1/sweeps/${mine!.id}/events`), 404, 'sweep_not_found');
    assert.deepEqual((await as('GET', '/v1/sweeps')).json<{ items: SweepView[] }>().items, []);
    const malformed = assertProblem(
      await fastify.inject({ method: 'GET', url: '/v1/sweeps/job_1' }),
      400,
      'validation_failed',
    );
    assert.equal(malformed.field, '/params/id');
  });
});
