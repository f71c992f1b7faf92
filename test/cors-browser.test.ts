import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import type { Browser } from 'playwright-core';
import { CHROMIUM, launchChromium } from './helpers/chromium.js';
import type { JobView } from '../src/jobs/job-view.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, TEST_AUTHORIZATION, type TestEnv } from './helpers/env.js';
import { apiClient, type ApiClient } from './helpers/http.js';
import { listen } from './helpers/processes.js';
import { modelUpload, saveModel } from './helpers/tf-model.js';

const TFJS = readFileSync(createRequire(import.meta.url).resolve('@tensorflow/tfjs/dist/tf.min.js'));

/** A page server on an origin of its own: an empty page, and TF.js for it. */
async function startPageServer(): Promise<{ origin: string; close: () => Promise<void> }> {
  const server = http.createServer((request, response) => {
    if (request.url === '/tf.min.js')
      return void response.writeHead(200, { 'content-type': 'text/javascript' }).end(TFJS);
    response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>elsewhere</title>');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

describe(
  'browser pages on other origins (Chromium, a real listening API)',
  { skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` },
  () => {
    let env: TestEnv;
    let server: FastifyInstance;
    let base: string;
    let api: ApiClient;
    let browser: Browser;
    let allowed: Awaited<ReturnType<typeof startPageServer>>;
    let other: Awaited<ReturnType<typeof startPageServer>>;
    let model: ModelRecord;

    before(async () => {
      allowed = await startPageServer();
      other = await startPageServer();
      env = await createTestEnv('cors', { CORS_ORIGINS: `${allowed.origin}, https://app.example.com` });
      ({ server, base } = await listen(env.config));
      api = apiClient(base);
      const dense = tf.sequential({
        layers: [tf.layers.dense({ inputShape: [4], units: 2, activation: 'softmax' })],
      });
      const saved = await saveModel(dense);
      dense.dispose();
      const { payload, contentType } = modelUpload(saved, [{ name: 'labels', data: '["no","yes"]' }]);
      const uploaded = await fetch(`${base}/v1/models`, {
        method: 'POST',
        headers: { authorization: TEST_AUTHORIZATION, 'content-type': contentType },
        body: payload,
      });
      assert.equal(uploaded.status, 201);
      model = (await uploaded.json()) as ModelRecord;
      browser = await launchChromium();
    });

    after(async () => {
      await browser?.close();
      await server?.close();
      await allowed?.close();
      await other?.close();
      await env?.cleanup();
    });

    it('answers the preflight before any key is asked for, with the headers a page needs', async () => {
      const preflight = await fetch(`${base}/v1/models/${model.id}/predict`, {
        method: 'OPTIONS',
        headers: {
          origin: allowed.origin,
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'authorization, content-type',
        },
      });
      assert.equal(preflight.status, 204);
      assert.equal(preflight.headers.get('access-control-allow-origin'), allowed.origin);
      assert.match(preflight.headers.get('access-control-allow-headers') ?? '', /authorization/);
      assert.match(preflight.headers.get('access-control-allow-methods') ?? '', /POST/);
      const elsewhere = await fetch(`${base}/v1/models`, {
        method: 'OPTIONS',
        headers: { origin: other.origin, 'access-control-request-method': 'GET' },
      });
      assert.equal(elsewhere.headers.get('access-control-allow-origin'), null);
    });

    it('a page on an allowed origin predicts, loads the model with TF.js and reads an event stream', async () => {
      const dataset = await api.ok<{ id: string }>(
        'POST',
        '/v1/datasets?name=d',
        digitsCsv({ perClass: 3 }),
        'text/csv',
      );
      const job = await api.ok<JobView>('POST', '/v1/jobs', {
        dataset: dataset.id,
        architecture: { type: 'mlp' },
      });
      const page = await browser.newPage();
      try {
        await page.goto(allowed.origin);
        await page.addScriptTag({ url: '/tf.min.js' });
        const seen = await page.evaluate(
          async ({ api: origin, authorization, modelId, jobId }) => {
            const headers = { authorization, 'content-type': 'application/json' };
            const predicted = await fetch(`${origin}/v1/models/${modelId}/predict`, {
              method: 'POST',
              headers,
              body: JSON.stringify({ instances: [[1, 2, 3, 4]] }),
            });
            const body = (await predicted.json()) as {
              predictions: Array<{ top: Array<{ label: string; score: number }> }>;
            };
            const tfjs = (globalThis as unknown as { tf: typeof import('@tensorflow/tfjs') }).tf;
            const loaded = await tfjs.loadLayersModel(`${origin}/v1/models/${modelId}/model.json`, {
              requestInit: { headers: { authorization } },
            });
            const scores = Array.from(
              (loaded.predict(tfjs.tensor([[1, 2, 3, 4]])) as import('@tensorflow/tfjs').Tensor).dataSync(),
            );
            const stream = await fetch(`${origin}/v1/jobs/${jobId}/events`, {
              headers: { authorization, accept: 'text/event-stream' },
            });
            const reader = stream.body!.getReader();
            const chunk = (await reader.read()) as { value?: Uint8Array };
            const first = new TextDecoder().decode(chunk.value);
            await reader.cancel();
            return {
              status: predicted.status,
              modelHeader: predicted.headers.get('x-model-id'),
              served: body.predictions[0]!.top,
              scores,
              streamType: stream.headers.get('content-type'),
              first,
            };
          },
          { api: base, authorization: TEST_AUTHORIZATION, modelId: model.id, jobId: job.id },
        );
        assert.equal(seen.status, 200);
        assert.equal(seen.modelHeader, model.id, 'X-Model-Id is exposed to the page');
        for (const { label, score } of seen.served)
          assert.ok(Math.abs(score - seen.scores[label === 'no' ? 0 : 1]!) < 1e-5);
        assert.match(seen.streamType ?? '', /text\/event-stream/);
        assert.match(seen.first, /"status":"queued"/);
      } finally {
        await page.close();
      }
    });

    it('a page on another origin is refused by the browser; a wrong key is still a 401 it can read', async () => {
      const page = await browser.newPage();
      try {
        await page.goto(other.origin);
        const refused = await page.evaluate(async (origin) => {
          try {
            await fetch(`${origin}/v1/models`, { headers: { authorization: 'Bearer ft_x' } });
            return 'fetched';
          } catch (error) {
            return (error as Error).name;
          }
        }, base);
        assert.equal(refused, 'TypeError');
        await page.goto(allowed.origin);
        const status = await page.evaluate(async (origin) => {
          const response = await fetch(`${origin}/v1/models`, {
            headers: { authorization: 'Bearer ft_wrong' },
          });
          return [response.status, ((await response.json()) as { code: string }).code];
        }, base);
        assert.deepEqual(status, [401, 'unauthorized']);
      } finally {
        await page.close();
      }
    });
  },
);
