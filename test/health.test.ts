import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { after, before, describe, it } from 'node:test';
import { selectBackend } from '../src/tf/backend.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';

describe('health and errors', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  before(async () => {
    env = await createTestEnv('health');
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('GET /health answers ok without touching dependencies', async () => {
    const response = await fastify.inject({ method: 'GET', url: '/health' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), { status: 'ok' });
  });

  it('GET /ready checks Redis and the store and names the TF.js backend', async () => {
    const backend = await selectBackend('auto');
    const response = await fastify.inject({ method: 'GET', url: '/ready' });
    assert.equal(response.statusCode, 200);
    assert.deepEqual(response.json(), {
      status: 'ready',
      backend: { name: backend.name, device: backend.device },
    });
    // TFJS_BACKEND=auto takes native TensorFlow where tfjs-node is installed, else the wasm backend.
    const require = createRequire(import.meta.url);
    const native = ['@tensorflow/tfjs-node', '@tensorflow/tfjs-node-gpu'].some((name) => {
      try {
        return Boolean(require.resolve(name));
      } catch {
        return false;
      }
    });
    if (!native) assert.deepEqual([backend.name, backend.device], ['wasm', 'cpu']);
  });

  it('unknown routes are problem+json 404s that echo the request id', async () => {
    const response = await fastify.inject({
      method: 'GET',
      url: '/v1/nothing?x=1',
      headers: { 'x-request-id': 'req-42' },
    });
    const problem = assertProblem(response, 404, 'route_not_found');
    assert.equal(problem.title, 'Not Found');
    assert.equal(problem.detail, 'no route GET /v1/nothing');
    assert.equal(problem.instance, '/v1/nothing?x=1');
    assert.equal(problem.requestId, 'req-42');
  });

  it('malformed JSON bodies are 400 problems, not 500s', async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json' },
      payload: '{"dataset": ',
    });
    const problem = assertProblem(response, 400, 'invalid_json');
    assert.equal(problem.title, 'Bad Request');
  });
});
