import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { Alias } from '../src/models/alias-store.js';
import type { SweepView } from '../src/sweeps/sweep-view.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { apiClient, type ApiClient } from './helpers/http.js';
import { listen, spawnWorker, waitFor, type Spawned } from './helpers/processes.js';

/** Short locks, so a dead worker's trial is found within a couple of seconds. */
const FAST_RECOVERY = { WORKER_LOCK_MS: 2_000, WORKER_STALLED_INTERVAL_MS: 1_000, JOB_BACKOFF_MS: 0 };
const PARALLEL = 2;

/** The most intervals open at once, each [start, end] in ms. */
function mostAtOnce(intervals: Array<[number, number]>): number {
  const edges = intervals.flatMap(([start, end]) => [
    [start, 1],
    [end, -1],
  ]);
  // An end and a start at the same instant: the end first.
  edges.sort((a, b) => a[0]! - b[0]! || a[1]! - b[1]!);
  let open = 0;
  let most = 0;
  for (const [, change] of edges) most = Math.max(most, (open += change!));
  return most;
}

describe('a sweep on two worker processes, one killed mid-sweep (real Redis, real BullMQ flow)', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let api: ApiClient;
  let dataset: Dataset;
  const workers: Spawned[] = [];
  const printed = () => workers.map((w, i) => `worker ${i + 1}:\n${w.output()}`).join('\n');

  const worker = () => {
    const started = spawnWorker(env.config, FAST_RECOVERY);
    workers.push(started);
    return started;
  };
  const liveWorkers = async () =>
    (await api.ok<{ items: Array<{ pid: number; jobs: Array<{ id: string }> }> }>('GET', '/v1/workers'))
      .items;
  const events = async (path: string) =>
    (await api.ok<{ items: JobEvent[] }>('GET', `${path}/events?limit=1000`)).items;

  before(async () => {
    env = await createTestEnv('sweeps-e2e', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    let base: string;
    ({ server, base } = await listen(env.config));
    api = apiClient(base, printed);
    dataset = await api.ok<Dataset>('POST', '/v1/datasets?name=digits', digitsCsv(), 'text/csv');
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server?.close();
    await env?.cleanup();
  });

  let sweep: SweepView;

  it('runs 8 trials 2 at a time, loses none to a killed worker, stops those behind, and picks the best', async () => {
    const first = worker();
    worker();
    await waitFor('two workers ready', async () => ((await liveWorkers()).length === 2 ? true : undefined));
    // A grid of 8: the four fast learning rates come first, so the slow four are judged against them.
    const created = await api.call<SweepView>('POST', '/v1/sweeps', {
      name: 'digits grid',
      job: {
        dataset: dataset.id,
        architecture: { type: 'mlp', hiddenUnits: [16] },
        hyperparameters: { epochs: 8 },
        seed: 3,
      },
      space: {
        learningRate: { values: [0.03, 0.00003] },
        batchSize: { values: [32, 64] },
        hiddenUnits: { values: [[16], [32]] },
      },
      method: 'grid',
      parallel: PARALLEL,
      earlyStopping: { rule: 'median', graceEpochs: 2, minTrials: 2 },
      alias: 'digits-best',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    assert.equal(created.body.trials.length, 8);
    assert.deepEqual(created.body.trials[0]!.settings, {
      learningRate: 0.03,
      batchSize: 32,
      hiddenUnits: [16],
    });
    const id = created.body.id;

    // Two trials under way, one on each worker (each runs one job at a time): kill one worker, start another.
    const running = await waitFor('two trials under way', async () => {
      const view = await api.ok<SweepView>('GET', `/v1/sweeps/${id}`);
      const under = view.trials.filter((trial) => trial.status === 'running' && trial.epochs > 0);
      return under.length === PARALLEL ? under.map((trial) => trial.jobId) : undefined;
    });
    await first.kill();
    worker();

    sweep = await waitFor(
      'the sweep to end',
      async () => {
        const view = await api.ok<SweepView>('GET', `/v1/sweeps/${id}`);
        return ['succeeded', 'failed', 'cancelled'].includes(view.status) ? view : undefined;
      },
      240_000,
    ).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}\n${printed()}`);
    });
    assert.equal(sweep.status, 'succeeded', JSON.stringify(sweep.trials) + printed());
    // No trial lost: every one ended succeeded, the killed one resumed on another worker.
    assert.deepEqual(
      sweep.trials.map((trial) => trial.status),
      Array(8).fill('succeeded'),
    );
    // The killed worker's trial was taken up again by another and went on.
    const retried: string[] = [];
    for (const jobId of running) {
      const statuses = (await events(`/v1/jobs/${jobId}`)).filter((e) => e.type === 'status');
      if (statuses.some((e) => e.data.status === 'retrying')) retried.push(jobId);
    }
    assert.equal(retried.length, 1, `one of the two running trials was retried: ${retried.join(', ')}`);

    // The slow learning rates fell behind the fast ones and were stopped early, marked as such.
    const slow = sweep.trials.filter((trial) => trial.settings.learningRate === 0.00003);
    for (const trial of slow) {
      assert.ok(trial.stoppedEarly, `trial ${trial.trial} stopped early: ${JSON.stringify(trial)}`);
      assert.ok(trial.epochs < 8, `trial ${trial.trial} ran ${trial.epochs} of 8 epochs`);
      assert.ok(trial.stoppedEarly.value < trial.stoppedEarly.median);
    }
    assert.equal(sweep.counts.stoppedEarly, sweep.trials.filter((trial) => trial.stoppedEarly).length);

    // The best is the succeeded trial with the highest val_accuracy, and the alias names its model.
    const values = sweep.trials.map((trial) => trial.value!);
    assert.equal(sweep.best?.value, Math.max(...values));
    assert.equal(sweep.best?.settings.learningRate, 0.03);
    assert.equal(sweep.aliasMoved, true, JSON.stringify(sweep.best) + printed());
    const alias = await api.ok<Alias>('GET', '/v1/aliases/digits-best');
    assert.equal(alias.modelId, sweep.best?.modelId);
  });

  it('never ran more than its parallel trials at once', async () => {
    const intervals: Array<[number, number]> = [];
    for (const trial of sweep.trials) {
      let start: number | undefined;
      for (const event of await events(`/v1/jobs/${trial.jobId}`)) {
        if (event.type !== 'status') continue;
        const at = Date.parse(event.at);
        if (event.data.status === 'running') start = at;
        else if (start !== undefined) {
          intervals.push([start, at]);
          start = undefined;
        }
      }
    }
    assert.ok(intervals.length >= 8);
    assert.ok(mostAtOnce(intervals) <= PARALLEL, `at most ${PARALLEL} trials running at once`);
  });

  it("tells its story in its events: queued, running, each trial's start and end, and the end with the best", async () => {
    const log = await events(`/v1/sweeps/${sweep.id}`);
    const statuses = log.filter((e) => e.type === 'status').map((e) => e.data.status);
    assert.deepEqual(statuses, ['queued', 'running', 'succeeded']);
    const ended = log.at(-1)!;
    assert.equal((ended.data.best as { trial: number }).trial, sweep.best!.trial);
    const trialEnds = log.filter((e) => e.type === 'trial' && e.data.status === 'succeeded');
    assert.equal(new Set(trialEnds.map((e) => e.data.jobId)).size, 8);
    assert.ok(log.some((e) => e.type === 'trial' && e.data.status === 'stopping'));
  });
});
