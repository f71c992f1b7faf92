import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import type { InferencePool, PoolStats } from '../src/inference/inference-pool.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitRows } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { listen } from './helpers/processes.js';
import { modelUpload, postModel, saveModel, smallCnn, type SavedModel } from './helpers/tf-model.js';

const MISSING_ID = 'mdl_01hzzzzzzzzzzzzzzzzzzzzzzz';

interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

interface PredictResponse {
  modelId: string;
  predictions: Prediction[];
}

interface AliasResponse {
  name: string;
  modelId: string;
  createdAt: string;
  updatedAt: string;
  previousModelId?: string | null;
}

/** Flat rows of 64 pixels from the real digits, cycling through the file when more are asked for. */
function pixelRows(count: number): number[][] {
  const all = digitRows();
  return Array.from({ length: count }, (_, i) => all[i % all.length]!.pixels);
}

/** The small CNN with its weights negated: the same architecture and stored size, different scores. */
function otherCnn(): tf.LayersModel {
  const model = smallCnn();
  tf.tidy(() => model.setWeights(model.getWeights().map((w) => tf.neg(w))));
  return model;
}

/** What the model itself gives for the rows, one array of class scores per row. */
function localScores(model: tf.LayersModel, rows: number[][]): number[][] {
  return tf.tidy(
    () =>
      (model.predict(tf.tensor(rows.flat(), [rows.length, 8, 8, 1])) as tf.Tensor).arraySync() as number[][],
  );
}

/** A prediction's full score vector (asked with topK 10), indexed by class: unlabelled models name classes by index. */
function scoresOf(prediction: Prediction): number[] {
  const scores = new Array<number>(prediction.top.length).fill(Number.NaN);
  for (const { label, score } of prediction.top) scores[Number(label)] = score;
  return scores;
}

function assertScoresClose(actual: number[][], expected: number[][], what: string) {
  assert.equal(actual.length, expected.length, `${what}: number of instances`);
  actual.forEach((row, i) => {
    assert.equal(row.length, expected[i]!.length, `${what}: classes of instance ${i}`);
    row.forEach((score, j) => {
      const want = expected[i]![j]!;
      assert.ok(
        Math.abs(score - want) < 1e-5,
        `${what}: instance ${i} class ${j} scored ${score}, expected ${want}`,
      );
    });
  });
}

// Clients are not the server: the flood runs on a thread of its own, off the event loop that answers /health.
const FLOOD_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, body, loops, ms } = workerData;
const deadline = performance.now() + ms;
const statuses = [];
const loop = async () => {
  while (performance.now() < deadline) {
    const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await response.arrayBuffer();
    statuses.push(response.status);
  }
};
Promise.all(Array.from({ length: loops }, loop)).then(() => parentPort.postMessage(statuses));
`;

/** POSTs `body` to `url` from `loops` concurrent loops for `ms`; resolves with every response's status. */
async function floodFromThread(url: string, body: unknown, loops: number, ms: number): Promise<number[]> {
  const worker = new Worker(FLOOD_SOURCE, {
    eval: true,
    workerData: { url, body: JSON.stringify(body), loops, ms },
  });
  try {
    const [statuses] = (await once(worker, 'message')) as [number[]];
    return statuses;
  } finally {
    await worker.terminate();
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

/** The pool's counters that only grow, as a difference from an earlier reading. */
function statsDelta(pool: InferencePool, before: PoolStats) {
  const now = pool.stats();
  return {
    requests: now.requests - before.requests,
    instances: now.instances - before.instances,
    batches: now.batches - before.batches,
    overloaded: now.overloaded - before.overloaded,
  };
}

describe('serving predictions', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let cnnA: tf.LayersModel;
  let cnnB: tf.LayersModel;
  let savedA: SavedModel;
  let savedB: SavedModel;
  let modelA: ModelRecord;
  let modelB: ModelRecord;

  const upload = (app: FastifyInstance, saved: SavedModel, name: string) =>
    postModel(app, modelUpload(saved, [{ name: 'name', data: name }]));

  const predict = (app: FastifyInstance, idOrAlias: string, instances: unknown[], topK = 10) =>
    app.inject({ method: 'POST', url: `/v1/models/${idOrAlias}/predict`, payload: { instances, topK } });

  const predictions = (response: LightMyRequestResponse) => {
    assert.equal(response.statusCode, 200, response.body);
    return response.json<PredictResponse>().predictions;
  };

  before(async () => {
    // One host, so that every batch of a model goes through the same queue; a long wait, so that batches fill.
    env = await createTestEnv('serving', { INFERENCE_HOSTS: 1, PREDICT_MAX_WAIT_MS: 50 });
    ({ server, base } = await listen(env.config));
    cnnA = smallCnn();
    cnnB = otherCnn();
    savedA = await saveModel(cnnA);
    savedB = await saveModel(cnnB);
    modelA = await upload(server, savedA, 'digits A');
    modelB = await upload(server, savedB, 'digits B');
  });

  after(async () => {
    cnnA?.dispose();
    cnnB?.dispose();
    await server?.close();
    await env?.cleanup();
  });

  it('the two models differ, so that which one answered can be told from the scores', () => {
    const [a] = localScores(cnnA, pixelRows(1));
    const [b] = localScores(cnnB, pixelRows(1));
    assert.ok(a!.some((score, i) => Math.abs(score - b![i]!) > 1e-3));
    assert.equal(modelA.sizeBytes, modelB.sizeBytes);
  });

  describe('micro-batching', () => {
    const rows = pixelRows(24);
    let coalesced: LightMyRequestResponse[] | undefined;

    it('coalesces concurrent single-instance requests into a few batches', async () => {
      const pool = server.predictor.pool;
      const start = pool.stats();
      coalesced = await Promise.all(rows.map((row) => predict(server, modelA.id, [row])));
      for (const response of coalesced) assert.equal(response.statusCode, 200, response.body);
      const delta = statsDelta(pool, start);
      assert.equal(delta.requests, 24);
      assert.equal(delta.instances, 24);
      assert.ok(delta.batches <= 3, `24 requests went in ${delta.batches} batches`);
      // These are the pool's first batches, so its largest batch since start is one of them.
      assert.equal(start.batches, 0);
      const { largestBatch } = pool.stats();
      assert.ok(largestBatch > 1, `the largest batch held ${largestBatch} instances`);
    });

    it('a batched request gets the scores it gets alone, and the scores the model gives', async () => {
      assert.ok(coalesced, 'the coalesced requests ran');
      const batched = coalesced.map((response) => predictions(response)[0]!);
      const alone: Prediction[] = [];
      for (const row of rows) alone.push(predictions(await predict(server, modelA.id, [row]))[0]!);
      batched.forEach((prediction, i) => {
        assert.deepEqual(
          prediction.top.map((t) => t.label),
          alone[i]!.top.map((t) => t.label),
          `labels of instance ${i}`,
        );
      });
      assertScoresClose(batched.map(scoresOf), alone.map(scoresOf), 'batched vs alone');
      // An uploaded model has no preprocessing: the pixels reach the model as they are.
      assertScoresClose(batched.map(scoresOf), localScores(cnnA, rows), 'batched vs the model');
      for (const response of coalesced) assert.equal(response.headers['x-model-id'], modelA.id);
    });

    it('splits a request larger than PREDICT_MAX_BATCH into chunks and joins the answers in order', async () => {
      const pool = server.predictor.pool;
      const many = pixelRows(300);
      const start = pool.stats();
      const answer = predictions(await predict(server, modelA.id, many));
      const delta = statsDelta(pool, start);
      assert.equal(answer.length, 300);
      assertScoresClose(answer.map(scoresOf), localScores(cnnA, many), '300 instances vs the model');
      assert.equal(delta.requests, 1);
      assert.equal(delta.instances, 300);
      // PREDICT_MAX_BATCH is 64 by default: 4 full chunks and one of 44.
      assert.equal(env.config.PREDICT_MAX_BATCH, 64);
      assert.equal(delta.batches, 5);
    });
  });

  describe('on a listening server under load', () => {
    const post = async (path: string, body: unknown, method = 'POST') => {
      const response = await fetch(`${base}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      const text = await response.text();
      return { status: response.status, modelId: response.headers.get('x-model-id'), text };
    };

    it('/health answers quickly while predictions flood the inference hosts', async () => {
      const body = { instances: pixelRows(32) };
      const flood = floodFromThread(`${base}/v1/models/${modelA.id}/predict`, body, 32, 2_000);
      let flooding = true;
      void flood.finally(() => (flooding = false));
      const healthStatuses: number[] = [];
      const latencies: number[] = [];
      // Probes for as long as the flood runs, however slow this machine is.
      const probe = (async () => {
        await sleep(100);
        while (flooding) {
          const start = performance.now();
          const response = await fetch(`${base}/health`);
          await response.text();
          latencies.push(performance.now() - start);
          healthStatuses.push(response.status);
          await sleep(20);
        }
      })();
      const [predictStatuses] = await Promise.all([flood, probe]);

      const p50 = median(latencies);
      const max = Math.max(...latencies);
      console.log(
        `/health during a flood of ${predictStatuses.length} predictions of 32 instances: ` +
          `${latencies.length} probes, p50 ${p50.toFixed(1)} ms, max ${max.toFixed(1)} ms`,
      );
      assert.ok(predictStatuses.length >= 32, `only ${predictStatuses.length} predictions finished`);
      assert.deepEqual(new Set(predictStatuses), new Set([200]));
      assert.ok(latencies.length >= 3, `only ${latencies.length} /health probes finished during the flood`);
      assert.deepEqual(new Set(healthStatuses), new Set([200]));
      // How fast is for bench/predict.ts to measure; here it is enough that /health kept answering, probe after
      // probe, while the flood ran: inference runs on its own thread, so /health waits only on HTTP work.
    });

    it('moving an alias under load switches every request that starts after the move, and drops none', async () => {
      const created = await post('/v1/aliases/digits-prod', { modelId: modelA.id }, 'PUT');
      assert.equal(created.status, 201, created.text);

      interface Call {
        startedAt: number;
        endedAt: number;
        status: number;
        modelId: string | null;
        text: string;
      }
      const calls: Call[] = [];
      const body = { instances: pixelRows(4), topK: 10 };
      let stop = false;
      const loops = Array.from({ length: 16 }, async () => {
        while (!stop) {
          const startedAt = performance.now();
          const response = await post('/v1/models/digits-prod/predict', body);
          calls.push({ startedAt, endedAt: performance.now(), ...response });
        }
      });

      await sleep(600);
      const putStartedAt = performance.now();
      const moved = await post('/v1/aliases/digits-prod', { modelId: modelB.id }, 'PUT');
      const putEndedAt = performance.now();
      await sleep(600);
      stop = true;
      await Promise.all(loops);

      assert.equal(moved.status, 200, moved.text);
      assert.equal((JSON.parse(moved.text) as AliasResponse).previousModelId, modelA.id);
      for (const call of calls) assert.equal(call.status, 200, call.text);
      const before = calls.filter((call) => call.endedAt < putStartedAt);
      const afterMove = calls.filter((call) => call.startedAt > putEndedAt);
      assert.ok(
        before.length > 0 && afterMove.length > 0,
        `${before.length} calls before, ${afterMove.length} after`,
      );
      for (const call of before) assert.equal(call.modelId, modelA.id);
      for (const call of afterMove) assert.equal(call.modelId, modelB.id);
      // The header says which model answered; the scores agree with it.
      const [last] = (JSON.parse(afterMove.at(-1)!.text) as PredictResponse).predictions;
      assertScoresClose([scoresOf(last!)], localScores(cnnB, body.instances.slice(0, 1)), 'after the move');
    });
  });

  describe('aliases', () => {
    const put = (name: string, modelId: string) =>
      server.inject({ method: 'PUT', url: `/v1/aliases/${name}`, payload: { modelId } });
    const get = (name: string) => server.inject({ method: 'GET', url: `/v1/aliases/${name}` });
    const remove = (name: string) => server.inject({ method: 'DELETE', url: `/v1/aliases/${name}` });

    it('creates, reads, moves, lists in name order with paging, and deletes aliases', async () => {
      const created = await put('crud-b', modelA.id);
      assert.equal(created.statusCode, 201, created.body);
      assert.equal(created.headers.location, '/v1/aliases/crud-b');
      const alias = created.json<AliasResponse>();
      assert.equal(alias.name, 'crud-b');
      assert.equal(alias.modelId, modelA.id);
      assert.equal(alias.previousModelId, null);
      assert.equal(alias.createdAt, alias.updatedAt);

      const { name, modelId, createdAt, updatedAt } = alias;
      assert.deepEqual((await get('crud-b')).json(), { name, modelId, createdAt, updatedAt });

      await sleep(5);
      const moved = await put('crud-b', modelB.id);
      assert.equal(moved.statusCode, 200, moved.body);
      const movedAlias = moved.json<AliasResponse>();
      assert.equal(movedAlias.previousModelId, modelA.id);
      assert.equal(movedAlias.modelId, modelB.id);
      assert.equal(movedAlias.createdAt, alias.createdAt);
      assert.ok(movedAlias.updatedAt > alias.updatedAt);

      const longest = 'a'.repeat(63);
      for (const name of ['crud-a', 'crud-c', longest])
        assert.equal((await put(name, modelA.id)).statusCode, 201);

      const all = (await server.inject({ method: 'GET', url: '/v1/aliases?limit=100' })).json<{
        items: AliasResponse[];
        nextCursor: string | null;
      }>();
      const names = all.items.map((a) => a.name);
      assert.deepEqual(names, [...names].sort());
      for (const name of ['crud-a', 'crud-b', 'crud-c', longest]) assert.ok(names.includes(name), name);
      assert.equal(all.nextCursor, null);

      // Walking the pages one alias at a time gives the same list.
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const query: string = cursor === null ? '' : `&cursor=${cursor}`;
        const page = await server.inject({ method: 'GET', url: `/v1/aliases?limit=1${query}` });
        assert.equal(page.statusCode, 200, page.body);
        const body = page.json<{ items: AliasResponse[]; nextCursor: string | null }>();
        assert.equal(body.items.length, 1);
        walked.push(body.items[0]!.name);
        cursor = body.nextCursor;
        if (cursor !== null) assert.equal(cursor, body.items[0]!.name);
      } while (cursor !== null && walked.length <= names.length);
      assert.deepEqual(walked, names);

      for (const name of ['crud-a', 'crud-b', 'crud-c', longest])
        assert.equal((await remove(name)).statusCode, 204);
      const gone = assertProblem(await get('crud-b'), 404, 'alias_not_found');
      assert.equal(gone.alias, 'crud-b');
      assertProblem(await remove('crud-b'), 404, 'alias_not_found');
    });

    it('refuses unknown models and invalid names, and predicting through an unknown alias is a 404', async () => {
      const unknown = assertProblem(await put('crud-missing', MISSING_ID), 404, 'model_not_found');
      assert.equal(unknown.modelId, MISSING_ID);
      assertProblem(await get('crud-missing'), 404, 'alias_not_found');

      for (const name of ['mdl_x', encodeURIComponent('../x'), 'a'.repeat(64), '-x', 'x%20y']) {
        assertProblem(await put(name, modelA.id), 400, 'validation_failed');
      }
      assertProblem(await put('crud-x', 'not-a-model-id'), 400, 'validation_failed');

      const missing = assertProblem(
        await predict(server, 'no-such-alias', pixelRows(1)),
        404,
        'alias_not_found',
      );
      assert.equal(missing.alias, 'no-such-alias');
    });

    it('a model an alias points to cannot be deleted until every alias has moved; predictions keep working', async () => {
      const guarded = await upload(server, savedA, 'guarded');
      assert.equal((await put('guard-1', guarded.id)).statusCode, 201);
      assert.equal((await put('guard-2', guarded.id)).statusCode, 201);
      const rows = pixelRows(3);
      const expected = localScores(cnnA, rows);
      const predictsThroughAliases = async (expectedIds: [string, string]) => {
        for (const [i, name] of ['guard-1', 'guard-2'].entries()) {
          const response = await predict(server, name, rows);
          assert.equal(response.headers['x-model-id'], expectedIds[i]);
          assertScoresClose(predictions(response).map(scoresOf), expected, `predict via ${name}`);
        }
      };
      const deleteGuarded = () => server.inject({ method: 'DELETE', url: `/v1/models/${guarded.id}` });

      await predictsThroughAliases([guarded.id, guarded.id]);
      const both = assertProblem(await deleteGuarded(), 409, 'model_aliased');
      assert.deepEqual(both.aliases, ['guard-1', 'guard-2']);
      assert.match(both.detail, /'guard-1', 'guard-2'/);
      await predictsThroughAliases([guarded.id, guarded.id]);

      // Model A has the same weights, so predictions through the moved alias give the same scores.
      assert.equal((await put('guard-1', modelA.id)).statusCode, 200);
      const one = assertProblem(await deleteGuarded(), 409, 'model_aliased');
      assert.deepEqual(one.aliases, ['guard-2']);
      await predictsThroughAliases([modelA.id, guarded.id]);

      assert.equal((await put('guard-2', modelA.id)).statusCode, 200);
      const deleted = await deleteGuarded();
      assert.equal(deleted.statusCode, 204, deleted.body);
      await predictsThroughAliases([modelA.id, modelA.id]);
      assertProblem(await predict(server, guarded.id, rows), 404, 'model_not_found');
      // A deleted model cannot be aliased again.
      assertProblem(await put('guard-3', guarded.id), 404, 'model_not_found');
    });
  });

  describe('overload', () => {
    let app: FastifyInstance;

    before(async () => {
      // A long wait holds the first requests in the queue, so the limit is reached without timing luck.
      app = await buildApp({
        ...env.config,
        INFERENCE_HOSTS: 1,
        PREDICT_QUEUE_LIMIT: 8,
        PREDICT_MAX_WAIT_MS: 200,
      });
    });

    after(async () => {
      await app?.close();
    });

    it('answers 503 overloaded with Retry-After beyond PREDICT_QUEUE_LIMIT, and recovers', async () => {
      const pool = app.predictor.pool;
      const start = pool.stats();
      const responses = await Promise.all(pixelRows(40).map((row) => predict(app, modelA.id, [row])));
      const rejected = responses.filter((response) => response.statusCode === 503);
      const served = responses.filter((response) => response.statusCode === 200);
      assert.equal(rejected.length + served.length, 40, responses.map((r) => r.statusCode).join(' '));
      assert.ok(rejected.length > 0, 'no request was refused');
      assert.ok(served.length > 0, 'no request was served');
      for (const response of rejected) {
        const problem = assertProblem(response, 503, 'overloaded');
        assert.match(problem.detail, /8 instances/);
        assert.match(String(response.headers['retry-after']), /^\d+$/);
      }
      const delta = statsDelta(pool, start);
      assert.equal(delta.overloaded, rejected.length);
      assert.equal(delta.requests, served.length);
      assert.equal(pool.stats().pending, 0);

      const again = await predict(app, modelA.id, pixelRows(8));
      assert.equal(again.statusCode, 200, again.body);
      // The bound is on waiting work: an idle pool takes a request larger than the bound itself.
      const large = await predict(app, modelA.id, pixelRows(20));
      assert.equal(large.statusCode, 200, large.body);
    });
  });

  describe('model cache', () => {
    let modelC: ModelRecord;
    let modelD: ModelRecord;
    const rows = pixelRows(2);
    const keyOf = (model: ModelRecord) => new RegExp(`/${model.id}@`);

    before(async () => {
      // Models of their own, never aliased, so they can be deleted here.
      modelC = await upload(server, savedA, 'cache C');
      modelD = await upload(server, savedB, 'cache D');
      assert.equal(modelC.sizeBytes, modelD.sizeBytes);
    });

    it('evicts the least recently used model beyond MODEL_CACHE_BYTES and releases its tensors', async () => {
      const app = await buildApp({
        ...env.config,
        INFERENCE_HOSTS: 1,
        MODEL_CACHE_BYTES: Math.floor(modelC.sizeBytes * 1.5),
      });
      try {
        const pool = app.predictor.pool;
        const [baseline] = await pool.hostStats();
        assert.deepEqual(baseline!.models, []);

        predictions(await predict(app, modelC.id, rows));
        const [withC] = await pool.hostStats();
        assert.equal(withC!.models.length, 1);
        assert.match(withC!.models[0]!, keyOf(modelC));
        // conv kernel and bias, dense kernel and bias
        assert.equal(withC!.numTensors, baseline!.numTensors + 4);
        assert.equal(pool.stats().cachedBytes, modelC.sizeBytes);

        predictions(await predict(app, modelD.id, rows));
        const [withD] = await pool.hostStats();
        assert.equal(withD!.models.length, 1);
        assert.match(withD!.models[0]!, keyOf(modelD));
        assert.equal(withD!.numTensors, withC!.numTensors);
        assert.equal(withD!.numBytes, withC!.numBytes);
        assert.equal(pool.stats().models, 1);

        const deleted = await app.inject({ method: 'DELETE', url: `/v1/models/${modelD.id}` });
        assert.equal(deleted.statusCode, 204, deleted.body);
        const [empty] = await pool.hostStats();
        assert.deepEqual(empty!.models, []);
        assert.equal(empty!.numTensors, baseline!.numTensors);
        assert.equal(empty!.numBytes, baseline!.numBytes);
        assert.equal(pool.stats().cachedBytes, 0);
      } finally {
        await app.close();
      }
    });

    it('with MODEL_CACHE_BYTES=0 a model is loaded for its batch and disposed after it', async () => {
      const app = await buildApp({ ...env.config, INFERENCE_HOSTS: 1, MODEL_CACHE_BYTES: 0 });
      try {
        const pool = app.predictor.pool;
        const [baseline] = await pool.hostStats();
        const answer = predictions(await predict(app, modelC.id, rows));
        assertScoresClose(answer.map(scoresOf), localScores(cnnA, rows), 'uncached model');
        const [afterPredict] = await pool.hostStats();
        assert.deepEqual(afterPredict!.models, []);
        assert.equal(afterPredict!.numTensors, baseline!.numTensors);
        assert.equal(pool.stats().models, 0);
      } finally {
        await app.close();
      }
    });
  });

  describe('process isolation', () => {
    let app: FastifyInstance;

    before(async () => {
      app = await buildApp({ ...env.config, INFERENCE_ISOLATION: 'process', INFERENCE_HOSTS: 1 });
    });

    after(async () => {
      await app?.close();
    });

    it('an inference process predicts the same scores as an inference thread', async () => {
      const rows = pixelRows(5);
      const inProcess = predictions(await predict(app, modelB.id, rows)).map(scoresOf);
      const inThread = predictions(await predict(server, modelB.id, rows)).map(scoresOf);
      assertScoresClose(inProcess, inThread, 'process vs thread');
      assertScoresClose(inProcess, localScores(cnnB, rows), 'process vs the model');
      const [host] = await app.predictor.pool.hostStats();
      assert.equal(host!.models.length, 1);
      assert.match(host!.models[0]!, new RegExp(`/${modelB.id}@`));
    });

    it('a host that dies is replaced: requests meanwhile get 503 with Retry-After, then predictions resume', async () => {
      const pool = app.predictor.pool;
      const [host] = await pool.hostStats();
      assert.notEqual(host!.pid, process.pid);
      process.kill(host!.pid, 'SIGKILL');
      const statuses = new Set<number>();
      let answered: LightMyRequestResponse | undefined;
      const deadline = Date.now() + 30_000;
      while (!answered && Date.now() < deadline) {
        const response = await predict(app, modelB.id, pixelRows(2));
        statuses.add(response.statusCode);
        if (response.statusCode === 200) answered = response;
        else {
          assertProblem(response, 503, 'inference_unavailable');
          assert.equal(response.headers['retry-after'], '1');
          await sleep(100);
        }
      }
      assert.ok(
        answered,
        `no prediction succeeded after the host died; statuses ${[...statuses].join(', ')}`,
      );
      assert.deepEqual(
        [...statuses].filter((s) => s !== 200 && s !== 503),
        [],
      );
      const [replacement] = await pool.hostStats();
      assert.notEqual(replacement!.pid, host!.pid);
      assert.equal(pool.stats().pending, 0);
    });
  });
});
