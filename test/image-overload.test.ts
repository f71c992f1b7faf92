import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { waitFor } from './helpers/processes.js';
import { modelUpload, postModel, saveModel } from './helpers/tf-model.js';

const BAGS = fileURLToPath(new URL('../datasets/fashion-mnist/bag/', import.meta.url));
const PHOTO = readFileSync(`${BAGS}${readdirSync(BAGS)[0]}`).toString('base64');

describe('image predictions under load: refused before they are decoded', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let record: ModelRecord;

  before(async () => {
    env = await createTestEnv('image-overload', { PREDICT_QUEUE_LIMIT: 8, MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    fastify = await buildApp(env.config);
    const model = tf.sequential({
      layers: [
        tf.layers.flatten({ inputShape: [28, 28, 1] }),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    record = await postModel(fastify, modelUpload(await saveModel(model)));
    model.dispose();
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('images being decoded count as waiting: past PREDICT_QUEUE_LIMIT a request is 503 overloaded at once', async () => {
    const predict = (count: number) =>
      fastify.inject({
        method: 'POST',
        url: `/v1/models/${record.id}/predict`,
        payload: { images: Array<string>(count).fill(PHOTO) },
      });
    // The first is taken whatever its size (an idle pool takes any request); while its 64 images decode, the
    // next is over the limit before any of its images is decoded.
    const first = predict(64);
    await waitFor('the first request to be decoding', async () =>
      fastify.predictor.pool.stats().pending >= 64 ? true : undefined,
    );
    const refused = await predict(1);
    const problem = assertProblem(refused, 503, 'overloaded');
    assert.match(problem.detail, /PREDICT_QUEUE_LIMIT|8 instances/);
    assert.ok(refused.headers['retry-after']);
    assert.equal((await first).statusCode, 200);
    // Once it is through, a request is taken again.
    assert.equal((await predict(1)).statusCode, 200);
  });
});
