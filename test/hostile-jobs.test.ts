import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import { modelIdOfJob, type JobView } from '../src/jobs/job-service.js';
import type { JobRequest } from '../src/jobs/job-spec.js';
import { redisKeysFor } from '../src/queue/catalogue.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, testKeys, type TestEnv } from './helpers/env.js';
import { spawnWorker, waitFor, type Spawned } from './helpers/processes.js';
import { modelUpload, postModel, saveModel, smallCnn } from './helpers/tf-model.js';
import { pollJob } from './helpers/worker.js';

const OTHER_KEY = 'ft_test-key-for-the-other-tenant';
/** Far below any batch the slow job runs, so a stop that waits for its batch is always killed. */
const STOP_GRACE_MS = 200;

/** A CSV of `rows` rows of `columns` small integers, labels alternating a/b. */
function wideCsv(columns: number, rows: number): string {
  const header = ['label', ...Array.from({ length: columns }, (_, i) => `c${i}`)].join(',');
  const row = (r: number) =>
    [r % 2 ? 'a' : 'b', ...Array.from({ length: columns }, (_, i) => (i * 7 + r) % 16)].join(',');
  return `${header}\n${Array.from({ length: rows }, (_, r) => row(r)).join('\n')}\n`;
}

describe('hostile jobs: cost budgets, cancels a batch cannot wait for, cancel against success', () => {
  let env: TestEnv;
  let app: FastifyInstance;
  let worker: Spawned | undefined;
  let digits: Dataset;
  let wide: Dataset;
  let images: Dataset;
  let base: string;

  const call = (method: 'GET' | 'POST', url: string, payload?: unknown, key?: string) =>
    app.inject({
      method,
      url,
      ...(payload === undefined ? {} : { payload: payload as object }),
      ...(key ? { headers: { authorization: `Bearer ${key}` } } : {}),
    });
  const submit = async (request: JobRequest, key?: string) => {
    const response = await call('POST', '/v1/jobs', request, key);
    assert.equal(response.statusCode, 201, response.body);
    return response.json<JobView>();
  };
  const getJob = async (id: string, key?: string) => {
    const response = await call('GET', `/v1/jobs/${id}`, undefined, key);
    assert.equal(response.statusCode, 200, response.body);
    return response.json<JobView>();
  };
  const events = async (id: string) =>
    (await call('GET', `/v1/jobs/${id}/events?limit=1000`)).json<{ items: JobEvent[] }>().items;
  const finished = (id: string) => pollJob(() => getJob(id));
  const upload = (name: string, csv: string) => uploadCsv(app, csv, name);
  const startWorker = async (drainTimeoutMs = 600_000) => {
    // By default a drain bound far off, so that a hand-off is never cut short but by the grace period, if that did.
    worker ??= spawnWorker(env.config, {
      JOB_STOP_GRACE_MS: STOP_GRACE_MS,
      WORKER_DRAIN_TIMEOUT_MS: drainTimeoutMs,
    });
    const pid = worker.child.pid;
    await waitFor('the worker to be ready', async () => {
      const { items } = (await call('GET', '/v1/workers')).json<{ items: Array<{ pid: number }> }>();
      return items.some((w) => w.pid === pid) ? true : undefined;
    });
  };

  /** Within budget, but on wasm each batch of 256 rows takes seconds: far longer than the grace period. */
  const slowJob = (seed: number): JobRequest => ({
    dataset: digits.id,
    architecture: { type: 'mlp', hiddenUnits: [2048, 2048] },
    hyperparameters: { epochs: 1, batchSize: 256 },
    seed,
  });
  /** Eight times the work of {@link slowJob} a batch: longer than the shortest drain bound a worker takes. */
  const slowerJob = (seed: number): JobRequest => ({
    dataset: digits.id,
    architecture: { type: 'mlp', hiddenUnits: [4096, 4096] },
    hyperparameters: { epochs: 1, batchSize: 512 },
    seed,
  });
  /** Waits until the job's first batch has ended, so that a stop arrives while a later one runs. */
  const inBatch = (id: string) =>
    waitFor('the first batch', async () => (await events(id)).find((e) => e.type === 'progress'), 120_000);
  const killedEvent = (log: JobEvent[]) =>
    log.find((e) => e.type === 'log' && /killed/.test(String(e.data.message)));

  before(async () => {
    env = await createTestEnv('hostile-jobs', {
      API_KEYS: testKeys([{ id: 'other', key: OTHER_KEY, tenant: 'other', scopes: ['admin'] }]),
    });
    app = await buildApp(env.config);
    digits = await upload('digits', digitsCsv());
    wide = await upload('wide', wideCsv(100_000, 4));
    images = await upload('images', wideCsv(64 * 64, 64));
    const cnn = smallCnn();
    const saved = await saveModel(cnn);
    cnn.dispose();
    base = (await postModel(app, modelUpload(saved))).id;
  });

  after(async () => {
    await worker?.kill();
    await app?.close();
    await env?.cleanup();
  });

  const rows: Array<{ name: string; request: () => JobRequest; quantity: string; lower: string }> = [
    {
      name: 'mlp [4096 ×4] with batchSize 1024 on the digits',
      request: () => ({
        dataset: digits.id,
        architecture: { type: 'mlp', hiddenUnits: [4096, 4096, 4096, 4096] },
        hyperparameters: { batchSize: 1024 },
      }),
      quantity: 'batchFlops',
      lower: '/hyperparameters/batchSize',
    },
    {
      name: 'mlp [4096] on 100 000 columns',
      request: () => ({ dataset: wide.id, architecture: { type: 'mlp', hiddenUnits: [4096] } }),
      quantity: 'params',
      lower: '/architecture/hiddenUnits',
    },
    {
      name: 'cnn [1024, 1024] with kernel 11',
      request: () => ({
        dataset: digits.id,
        architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [1024, 1024], kernelSize: 11 },
      }),
      quantity: 'params',
      lower: '/architecture/kernelSize',
    },
    {
      name: 'cnn [512] on 64×64 images: the activations blow up, not the weights',
      request: () => ({
        dataset: images.id,
        architecture: { type: 'cnn', inputShape: [64, 64, 1], filters: [512], kernelSize: 1, denseUnits: 1 },
        hyperparameters: { batchSize: 64 },
      }),
      quantity: 'activationBytes',
      lower: '/architecture/filters',
    },
    {
      name: 'a transfer head of [4096 ×3]',
      request: () => ({
        dataset: digits.id,
        baseModel: base,
        transfer: { head: { hiddenUnits: [4096, 4096, 4096] } },
      }),
      quantity: 'params',
      lower: '/transfer/head/hiddenUnits',
    },
  ];
  for (const row of rows) {
    it(`${row.name}: 422 job_too_costly naming ${row.quantity} and what to lower`, async () => {
      const problem = assertProblem(await call('POST', '/v1/jobs', row.request()), 422, 'job_too_costly');
      const exceeded = problem.exceeded as Array<{ quantity: string; value: number; limit: number }>;
      const over = exceeded.find((excess) => excess.quantity === row.quantity);
      assert.ok(over, `${row.quantity} is among ${JSON.stringify(exceeded)}`);
      assert.ok(over.value > over.limit);
      assert.equal(problem.quantity, exceeded[0]!.quantity);
      assert.ok((problem.lower as string[]).includes(row.lower), JSON.stringify(problem.lower));
      assert.equal(problem.field, (problem.lower as string[])[0]);
      assert.match(problem.detail, /JOB_MAX_(PARAMS|ACTIVATION_BYTES|BATCH_FLOPS)/);
    });
  }

  it('a refused job leaves nothing behind', async () => {
    assert.deepEqual((await call('GET', '/v1/jobs')).json<{ items: unknown[] }>().items, []);
  });

  it("queuePosition counts only the asking tenant's own jobs ahead", async () => {
    const tiny = (dataset: string): JobRequest => ({
      dataset,
      architecture: { type: 'mlp', hiddenUnits: [4] },
      hyperparameters: { epochs: 1 },
    });
    const otherDigits = await app.inject({
      method: 'POST',
      url: '/v1/datasets?name=digits',
      headers: { 'content-type': 'text/csv', authorization: `Bearer ${OTHER_KEY}` },
      payload: digitsCsv({ perClass: 5 }),
    });
    assert.equal(otherDigits.statusCode, 201, otherDigits.body);
    const otherDataset = otherDigits.json<Dataset>().id;
    // No worker yet: every job waits, interleaved with the other tenant's.
    const mine1 = await submit(tiny(digits.id));
    const theirs1 = await submit(tiny(otherDataset), OTHER_KEY);
    const mine2 = await submit(tiny(digits.id));
    const theirs2 = await submit(tiny(otherDataset), OTHER_KEY);
    assert.deepEqual([mine1.queuePosition, mine2.queuePosition], [1, 2]);
    assert.deepEqual([theirs1.queuePosition, theirs2.queuePosition], [1, 2]);
    const positions = async (ids: string[], key?: string) =>
      Promise.all(ids.map(async (id) => (await getJob(id, key)).queuePosition));
    assert.deepEqual(await positions([mine1.id, mine2.id]), [1, 2]);
    assert.deepEqual(await positions([theirs1.id, theirs2.id], OTHER_KEY), [1, 2]);
    const cancel = (id: string, key?: string) => call('POST', `/v1/jobs/${id}/cancel`, undefined, key);
    // Once the first goes, the second is next.
    assert.equal((await cancel(mine1.id)).statusCode, 200);
    assert.deepEqual(await positions([mine2.id]), [1]);
    assert.deepEqual(await positions([theirs1.id, theirs2.id], OTHER_KEY), [1, 2]);
    assert.equal((await cancel(mine2.id)).statusCode, 200);
    for (const id of [theirs1.id, theirs2.id]) assert.equal((await cancel(id, OTHER_KEY)).statusCode, 200);
  });

  it('a cancel the batch cannot honour in time kills the training process; the job ends cancelled', async () => {
    await startWorker();
    const slow = await submit(slowJob(5));
    await inBatch(slow.id);
    const cancel = await call('POST', `/v1/jobs/${slow.id}/cancel`);
    assert.equal(cancel.statusCode, 202, cancel.body);
    const job = await finished(slow.id);
    assert.equal(job.status, 'cancelled', `${JSON.stringify(job.error)}\n${worker!.output()}`);
    assert.equal(job.modelId, null);
    assert.equal(job.attempts, 1, 'a killed run is not retried');
    const log = await events(slow.id);
    assert.deepEqual(
      log.filter((e) => e.type === 'status').map((e) => e.data.status),
      ['queued', 'running', 'cancelled'],
    );
    const killed = killedEvent(log);
    assert.ok(killed, `a log event says the training process was killed: ${JSON.stringify(log)}`);
    assert.equal(killed.data.level, 'warn');

    // The worker goes on with the next job in a fresh training process.
    const next = await submit({
      dataset: digits.id,
      architecture: { type: 'mlp', hiddenUnits: [8] },
      hyperparameters: { epochs: 1 },
      seed: 6,
    });
    const done = await finished(next.id);
    assert.equal(done.status, 'succeeded', `${JSON.stringify(done.error)}\n${worker!.output()}`);
  });

  /** SIGTERM to the worker while `job` runs a batch: it exits 0 and the job is handed back to the queue. */
  const handOffDuringBatch = async (job: JobRequest, drainMs?: number) => {
    await startWorker(drainMs);
    const slow = await submit(job);
    await inBatch(slow.id);
    const stopping = worker!;
    worker = undefined;
    await stopping.kill('SIGTERM');
    const [code] = await stopping.exited;
    assert.equal(code, 0, stopping.output());
    const log = await events(slow.id);
    assert.deepEqual(
      log.filter((e) => e.type === 'status').map((e) => e.data.status),
      ['queued', 'running', 'queued'],
    );
    return { slow, log };
  };

  it('a hand-off is not cut short by the stop grace: the batch ends, its checkpoint is written, the job goes back', async () => {
    const { slow, log } = await handOffDuringBatch(slowJob(8));
    assert.equal(killedEvent(log), undefined, `the grace period killed the hand-off: ${JSON.stringify(log)}`);
    const handedBack = log.findIndex(
      (e) => e.type === 'status' && e.data.status === 'queued' && e.id !== log[0]!.id,
    );
    const checkpoint = log.findIndex((e) => e.type === 'checkpoint');
    assert.ok(
      checkpoint >= 0 && checkpoint < handedBack,
      'the hand-off checkpoint comes before the job goes back',
    );
    const cancel = await call('POST', `/v1/jobs/${slow.id}/cancel`);
    assert.equal(cancel.statusCode, 200, cancel.body);
  });

  it('a hand-off the batch cannot finish within the drain bound kills the training process; the job goes back to the queue', async () => {
    const { slow, log } = await handOffDuringBatch(slowerJob(7), 1_000);
    assert.ok(killedEvent(log), `a log event says the training process was killed: ${JSON.stringify(log)}`);
    const job = await getJob(slow.id);
    assert.equal(job.status, 'queued', JSON.stringify(job.error));
    // With no worker left it waits in the queue, so a cancel takes it off at once.
    const cancel = await call('POST', `/v1/jobs/${slow.id}/cancel`);
    assert.equal(cancel.statusCode, 200, cancel.body);
    assert.equal(cancel.json<JobView>().status, 'cancelled');
  });

  it('a 202 cancel always ends cancelled with no model; a job that got to succeed first is a 409', async () => {
    await startWorker();
    const outcomes: number[] = [];
    for (let i = 0; i < 10; i++) {
      const { id } = await submit({
        dataset: digits.id,
        architecture: { type: 'mlp', hiddenUnits: [8] },
        hyperparameters: { epochs: 1, batchSize: 256 },
        seed: i,
      });
      // Spread the cancels over the job's life: queued, training, storing its model, finished.
      await sleep(i * 10);
      const cancel = await call('POST', `/v1/jobs/${id}/cancel`);
      outcomes.push(cancel.statusCode);
      const job = await finished(id);
      const model = await call('GET', `/v1/models/${modelIdOfJob(id)}`);
      const counted = await env.redis.hexists(
        redisKeysFor(env.prefix).storedResources('default'),
        modelIdOfJob(id),
      );
      if (cancel.statusCode === 409) {
        assertProblem(cancel, 409, 'job_finished');
        assert.equal(job.status, 'succeeded');
        assert.equal(model.statusCode, 200);
        assert.equal(counted, 1);
      } else {
        assert.ok([200, 202].includes(cancel.statusCode), cancel.body);
        assert.equal(job.status, 'cancelled', `cancel answered ${cancel.statusCode}, job ${job.status}`);
        assert.equal(job.modelId, null);
        assert.equal(model.statusCode, 404, 'a cancelled job leaves no model');
        assert.equal(counted, 0, "a cancelled job's model is not counted against the tenant");
      }
    }
    console.log(`cancel race: answers ${outcomes.join(', ')}`);
  });
});
