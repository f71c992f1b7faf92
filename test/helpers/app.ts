import Fastify, { type FastifyInstance, type LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import app, { serverOptions } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { Dataset } from '../../src/datasets/dataset-store.js';
import { selectBackend } from '../../src/tf/backend.js';
import { TEST_AUTHORIZATION } from './env.js';

/**
 * Requests without an Authorization header get the test key's, so that tests of other behaviour need not repeat
 * it; tests of authentication use `{ credentials: false }`.
 */
function withTestCredentials(fastify: FastifyInstance) {
  fastify.addHook('onRequest', async (request) => {
    request.headers.authorization ??= TEST_AUTHORIZATION;
  });
}

/** The API as tests use it: registered on an instance that never listens; requests go through `inject`. */
export async function buildApp(
  config: Config,
  { credentials = true }: { credentials?: boolean } = {},
): Promise<FastifyInstance> {
  const backend = await selectBackend('auto');
  const fastify = Fastify(serverOptions(config, false));
  if (credentials) withTestCredentials(fastify);
  try {
    await fastify.register(app, { config, backend });
    await fastify.ready();
  } catch (error) {
    // What started before the failure (Redis connections, timers) would keep the test process alive.
    await fastify.close().catch(() => undefined);
    throw error;
  }
  return fastify;
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  code: string;
  detail: string;
  instance: string;
  requestId: string;
  [extension: string]: unknown;
}

/** Asserts an RFC 9457 response with the given status and code, and returns its body. */
export function assertProblem(response: LightMyRequestResponse, status: number, code: string): Problem {
  assert.equal(
    response.statusCode,
    status,
    `expected ${status} ${code}, got ${response.statusCode}: ${response.body}`,
  );
  assert.match(String(response.headers['content-type']), /^application\/problem\+json/);
  const problem = response.json<Problem>();
  assert.equal(problem.status, status);
  assert.equal(problem.code, code, `expected code ${code}, got ${problem.code}: ${problem.detail}`);
  assert.equal(problem.type, `https://finetuned.dev/problems/${code}`);
  assert.equal(typeof problem.detail, 'string');
  return problem;
}

export { withTestCredentials };

/** Uploads a CSV dataset through the API and returns its record; anything but a 201 fails the test. */
export async function uploadCsv(fastify: FastifyInstance, csv: string, name: string): Promise<Dataset> {
  const response = await fastify.inject({
    method: 'POST',
    url: `/v1/datasets?name=${name}`,
    headers: { 'content-type': 'text/csv' },
    payload: csv,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json<Dataset>();
}
