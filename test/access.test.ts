import Fastify, { type FastifyInstance, type HTTPMethods, type LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import app, { serverOptions } from '../src/app.js';
import type { Config } from '../src/config.js';
import { selectBackend } from '../src/tf/backend.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, testKeys, type TestEnv } from './helpers/env.js';
import { modelUpload, postModel, saveModel, sha256, smallCnn } from './helpers/tf-model.js';

const NO_ADMIN = [
  'datasets:read',
  'datasets:write',
  'models:read',
  'models:write',
  'jobs:read',
  'jobs:write',
];

/** Keys of two tenants; the keys themselves are only in this file, the app gets their hashes. */
const KEYS = {
  acmeAdmin: { id: 'acme-admin', key: 'ft_acme-admin-key', tenant: 'acme', scopes: ['admin'] },
  acmeWriter: { id: 'acme-writer', key: 'ft_acme-writer-key', tenant: 'acme', scopes: NO_ADMIN },
  acmeJobsReader: {
    id: 'acme-jobs-reader',
    key: 'ft_acme-jobs-reader-key',
    tenant: 'acme',
    scopes: ['jobs:read'],
  },
  acmePredictor: { id: 'acme-predictor', key: 'ft_acme-predictor-key', tenant: 'acme', scopes: ['predict'] },
  globexAll: {
    id: 'globex-all',
    key: 'ft_globex-all-key',
    tenant: 'globex',
    scopes: [...NO_ADMIN, 'predict'],
  },
  globexAdmin: { id: 'globex-admin', key: 'ft_globex-admin-key', tenant: 'globex', scopes: ['admin'] },
  operator: { id: 'operator', key: 'ft_operator-key', tenant: 'ops', scopes: ['operator'] },
};
type KeyName = keyof typeof KEYS;

const bearer = (name: KeyName) => `Bearer ${KEYS[name].key}`;
const basic = (user: string, password: string) =>
  `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const PIXELS = digitRows({ labels: ['0'], perClass: 1 })[0]!.pixels;

function assertUnauthorized(response: LightMyRequestResponse, what: string, scheme = 'Bearer') {
  assert.equal(response.statusCode, 401, `${what}: ${response.body}`);
  assertProblem(response, 401, 'unauthorized');
  assert.match(String(response.headers['www-authenticate']), new RegExp(`^${scheme}\\b`), what);
}

/** Builds the API on an instance whose logger writes JSON lines into `lines`, as the server's would. */
async function buildLoggedApp(config: Config, lines: string[]): Promise<FastifyInstance> {
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      done();
    },
  });
  const fastify = Fastify(serverOptions(config, { level: 'info', stream }));
  await fastify.register(app, { config, backend: await selectBackend('auto') });
  await fastify.ready();
  return fastify;
}

describe('access control', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  const as = (
    name: KeyName | null,
    method: HTTPMethods,
    url: string,
    payload?: object,
    headers: Record<string, string> = {},
  ) =>
    fastify.inject({
      method,
      url,
      headers: { ...(name ? { authorization: bearer(name) } : {}), ...headers },
      ...(payload ? { payload } : {}),
    });

  /** Uploads the small CNN as `name`'s tenant. */
  const uploadModel = async (name: KeyName) => {
    const cnn = smallCnn();
    const body = modelUpload(await saveModel(cnn));
    cnn.dispose();
    return (await postModel(fastify, body, { authorization: bearer(name) })).id;
  };

  const uploadDataset = async (name: KeyName) => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { authorization: bearer(name), 'content-type': 'text/csv' },
      payload: digitsCsv({ labels: ['0', '1'], perClass: 5 }),
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  };

  before(async () => {
    env = await createTestEnv('access', {
      API_KEYS: testKeys(Object.values(KEYS)),
      INFERENCE_HOSTS: 1,
      // A busy shared machine must not turn requests into 503 server_busy.
      MAX_EVENT_LOOP_DELAY_MS: 60_000,
    });
    fastify = await buildApp(env.config, { credentials: false });
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  describe('authentication', () => {
    it('no Authorization header is 401 unauthorized with WWW-Authenticate: Bearer, on every kind of route', async () => {
      for (const [method, url] of [
        ['GET', '/v1/datasets'],
        ['GET', '/v1/jobs'],
        ['POST', '/v1/jobs'],
        ['GET', '/v1/models'],
        ['GET', '/v1/aliases'],
        ['GET', '/v1/workers'],
        ['POST', '/v1/models/some-alias/predict'],
      ] as const) {
        assertUnauthorized(await as(null, method, url), `${method} ${url}`);
      }
    });

    it('malformed headers, unknown keys and a wrong Basic password are 401', async () => {
      const { key } = KEYS.acmeAdmin;
      const headers = [
        'Bearer',
        'Bearer ',
        `Token ${key}`,
        key,
        `Bearer${key}`,
        'Bearer ft_no-such-key',
        `Bearer ${key}x`,
        `Bearer ${key.toUpperCase()}`,
        basic('admin', 'wrong-password'),
        basic(key, ''),
        'Basic !!!not-base64!!!',
      ];
      for (const authorization of headers) {
        const response = await as(null, 'GET', '/v1/datasets', undefined, { authorization });
        assertUnauthorized(response, JSON.stringify(authorization));
      }
    });

    it('Basic auth with the key as the password works', async () => {
      const response = await as(null, 'GET', '/v1/datasets', undefined, {
        authorization: basic('anyone', KEYS.acmeAdmin.key),
      });
      assert.equal(response.statusCode, 200, response.body);
    });
  });

  describe('scopes', () => {
    let model: string;

    before(async () => {
      model = await uploadModel('acmeWriter');
    });

    it('each key reaches what its scopes allow and gets 403 forbidden naming the scope elsewhere', async () => {
      const predict = { instances: [PIXELS] };
      const cases: Array<[KeyName, HTTPMethods, string, object | undefined, number, string?]> = [
        ['acmeJobsReader', 'GET', '/v1/jobs', undefined, 200],
        [
          'acmeJobsReader',
          'POST',
          '/v1/jobs',
          { dataset: 'ds_01hzzzzzzzzzzzzzzzzzzzzzzz' },
          403,
          'jobs:write',
        ],
        ['acmeJobsReader', 'GET', '/v1/datasets', undefined, 403, 'datasets:read'],
        ['acmeJobsReader', 'GET', '/v1/workers', undefined, 403, 'admin'],
        ['acmePredictor', 'POST', `/v1/models/${model}/predict`, predict, 200],
        ['acmePredictor', 'GET', '/v1/models', undefined, 403, 'models:read'],
        ['acmePredictor', 'GET', `/v1/models/${model}`, undefined, 403, 'models:read'],
        ['acmePredictor', 'GET', `/v1/models/${model}/model.json`, undefined, 403, 'models:read'],
        ['acmePredictor', 'GET', '/v1/aliases', undefined, 403, 'models:read'],
        ['acmePredictor', 'GET', '/v1/jobs', undefined, 403, 'jobs:read'],
        ['acmeWriter', 'GET', '/v1/models', undefined, 200],
        ['acmeWriter', 'POST', `/v1/models/${model}/predict`, predict, 403, 'predict'],
        ['acmeWriter', 'GET', '/v1/workers', undefined, 403, 'admin'],
        ['acmeAdmin', 'GET', '/v1/workers', undefined, 200],
        ['acmeAdmin', 'GET', '/v1/jobs', undefined, 200],
        ['acmeAdmin', 'GET', '/v1/datasets', undefined, 200],
        ['acmeAdmin', 'GET', '/v1/models', undefined, 200],
        ['acmeAdmin', 'GET', `/v1/models/${model}/weights.bin`, undefined, 200],
        ['acmeAdmin', 'GET', '/v1/aliases', undefined, 200],
        ['acmeAdmin', 'POST', `/v1/models/${model}/predict`, predict, 200],
      ];
      for (const [name, method, url, payload, status, scope] of cases) {
        const response = await as(name, method, url, payload);
        const what = `${name} ${method} ${url}`;
        if (status === 200) {
          assert.equal(response.statusCode, 200, `${what}: ${response.body}`);
          continue;
        }
        assert.equal(response.statusCode, 403, `${what}: ${response.body}`);
        const problem = assertProblem(response, 403, 'forbidden');
        assert.equal(problem.scope, scope, what);
      }
      const workers = await as('acmeAdmin', 'GET', '/v1/workers');
      assert.deepEqual(workers.json(), { items: [] });
    });
  });

  describe('the queue dashboard', () => {
    it('is 401 without a key and 403 without operator, as problem+json; 200 html for the operator', async () => {
      // The dashboard challenges with Basic, so that a browser asks for the key.
      assertUnauthorized(await as(null, 'GET', '/admin/queues'), 'no key', 'Basic');
      assertUnauthorized(await as(null, 'GET', '/admin/queues/api/queues'), 'no key, its API', 'Basic');
      const forbidden = assertProblem(await as('acmeWriter', 'GET', '/admin/queues'), 403, 'forbidden');
      assert.equal(forbidden.scope, 'operator');
      assertProblem(await as('acmeWriter', 'GET', '/admin/queues/api/queues'), 403, 'forbidden');
      // A tenant's admin sees every job of its own tenant through the API, and none of the others' here.
      for (const url of ['/admin/queues', '/admin/queues/api/queues', '/admin/queues/api/redis/stats']) {
        const problem = assertProblem(await as('acmeAdmin', 'GET', url), 403, 'forbidden');
        assert.equal(problem.scope, 'operator', url);
      }

      const page = await as('operator', 'GET', '/admin/queues');
      assert.equal(page.statusCode, 200, page.body);
      assert.match(String(page.headers['content-type']), /^text\/html/);
      // A browser signs in with Basic auth, the key as the password.
      const browser = await as(null, 'GET', '/admin/queues', undefined, {
        authorization: basic('admin', KEYS.operator.key),
      });
      assert.equal(browser.statusCode, 200, browser.body);
      assert.match(String(browser.headers['content-type']), /^text\/html/);
    });

    it('percent-encoding the path does not get around the key check', async () => {
      // The router decodes %61 to 'a', so these are the dashboard's own routes.
      const answered: string[] = [];
      for (const url of ['/%61dmin/queues', '/%61dmin/queues/api/queues', '/admin%2fqueues']) {
        const response = await as(null, 'GET', url);
        const type = String(response.headers['content-type']);
        if (response.statusCode < 400 || !type.startsWith('application/problem+json'))
          answered.push(`${url}: ${response.statusCode} ${type} ${response.body.slice(0, 80)}`);
      }
      assert.deepEqual(answered, [], 'answered without a key');
    });
  });

  describe('tenants', () => {
    const acme = { dataset: '', model: '', job: '', alias: 'acme-prod' };
    let globexDataset: string;

    before(async () => {
      acme.dataset = await uploadDataset('acmeWriter');
      acme.model = await uploadModel('acmeWriter');
      const alias = await as('acmeWriter', 'PUT', `/v1/aliases/${acme.alias}`, { modelId: acme.model });
      assert.equal(alias.statusCode, 201, alias.body);
      // No worker runs here: the job stays queued, which is all the job routes need.
      const job = await as(
        'acmeWriter',
        'POST',
        '/v1/jobs',
        { dataset: acme.dataset, architecture: { type: 'mlp' }, hyperparameters: { epochs: 1 } },
        { 'idempotency-key': 'shared-key' },
      );
      assert.equal(job.statusCode, 201, job.body);
      acme.job = job.json<{ id: string }>().id;
      globexDataset = await uploadDataset('globexAll');
    });

    for (const name of ['globexAll', 'globexAdmin'] as const) {
      it(`acme's resources are 404 to ${name} on every route`, { timeout: 20_000 }, async () => {
        const mlp = { type: 'mlp' };
        const cases: Array<[HTTPMethods, string, object | undefined, string, Record<string, string>?]> = [
          ['GET', `/v1/datasets/${acme.dataset}`, undefined, 'dataset_not_found'],
          ['DELETE', `/v1/datasets/${acme.dataset}`, undefined, 'dataset_not_found'],
          ['GET', `/v1/models/${acme.model}`, undefined, 'model_not_found'],
          ['DELETE', `/v1/models/${acme.model}`, undefined, 'model_not_found'],
          ['GET', `/v1/models/${acme.model}/model.json`, undefined, 'model_not_found'],
          ['GET', `/v1/models/${acme.model}/weights.bin`, undefined, 'model_not_found'],
          ['POST', `/v1/models/${acme.model}/predict`, { instances: [PIXELS] }, 'model_not_found'],
          ['POST', `/v1/models/${acme.alias}/predict`, { instances: [PIXELS] }, 'alias_not_found'],
          ['GET', `/v1/aliases/${acme.alias}`, undefined, 'alias_not_found'],
          ['DELETE', `/v1/aliases/${acme.alias}`, undefined, 'alias_not_found'],
          ['PUT', `/v1/aliases/${acme.alias}`, { modelId: acme.model }, 'model_not_found'],
          ['GET', `/v1/jobs/${acme.job}`, undefined, 'job_not_found'],
          ['GET', `/v1/jobs/${acme.job}/events`, undefined, 'job_not_found'],
          ['GET', `/v1/jobs/${acme.job}/events`, undefined, 'job_not_found', { accept: 'text/event-stream' }],
          ['GET', `/v1/jobs/${acme.job}/checkpoints`, undefined, 'job_not_found'],
          ['POST', `/v1/jobs/${acme.job}/cancel`, undefined, 'job_not_found'],
          ['POST', `/v1/jobs/${acme.job}/pause`, undefined, 'job_not_found'],
          ['POST', `/v1/jobs/${acme.job}/resume`, undefined, 'job_not_found'],
          ['POST', '/v1/jobs', { dataset: acme.dataset, architecture: mlp }, 'dataset_not_found'],
          ['POST', '/v1/jobs', { dataset: globexDataset, baseModel: acme.model }, 'model_not_found'],
          [
            'POST',
            '/v1/jobs',
            { dataset: globexDataset, validation: { dataset: acme.dataset }, architecture: mlp },
            'dataset_not_found',
          ],
        ];
        for (const [method, url, payload, code, headers] of cases) {
          const response = await as(name, method, url, payload, headers);
          assert.equal(response.statusCode, 404, `${method} ${url}: ${response.body}`);
          assertProblem(response, 404, code);
        }
      });
    }

    it("acme's resources do not appear in globex's lists", async () => {
      const ids = (body: { items: Array<{ id?: string; name?: string }> }) =>
        body.items.map((item) => item.id ?? item.name);
      for (const url of ['/v1/datasets', '/v1/models', '/v1/aliases', '/v1/jobs']) {
        const globex = await as('globexAll', 'GET', `${url}?limit=100`);
        assert.equal(globex.statusCode, 200, globex.body);
        const seen = ids(globex.json());
        for (const id of Object.values(acme)) assert.ok(!seen.includes(id), `${url} shows acme's ${id}`);
        const own = ids((await as('acmeAdmin', 'GET', `${url}?limit=100`)).json());
        assert.ok(
          Object.values(acme).some((id) => own.includes(id)),
          `${url} shows acme its own resources`,
        );
      }
      const datasets = ids((await as('globexAll', 'GET', '/v1/datasets')).json());
      assert.deepEqual(datasets, [globexDataset]);
    });

    it("an Idempotency-Key is the tenant's own: globex reusing acme's key makes its own job", async () => {
      const job = await as(
        'globexAll',
        'POST',
        '/v1/jobs',
        { dataset: globexDataset, architecture: { type: 'mlp' }, hyperparameters: { epochs: 1 } },
        { 'idempotency-key': 'shared-key' },
      );
      assert.equal(job.statusCode, 201, job.body);
      assert.notEqual(job.json<{ id: string }>().id, acme.job);
      assert.equal(job.headers['idempotent-replayed'], undefined);
    });

    it("globex's attempts changed nothing of acme's", async () => {
      for (const url of [
        `/v1/datasets/${acme.dataset}`,
        `/v1/models/${acme.model}`,
        `/v1/aliases/${acme.alias}`,
        `/v1/jobs/${acme.job}`,
      ]) {
        const response = await as('acmeAdmin', 'GET', url);
        assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
      }
      const job = (await as('acmeAdmin', 'GET', `/v1/jobs/${acme.job}`)).json<{
        status: string;
        cancelRequested: boolean;
      }>();
      assert.deepEqual([job.status, job.cancelRequested], ['queued', false]);
      const alias = (await as('acmeAdmin', 'GET', `/v1/aliases/${acme.alias}`)).json<{ modelId: string }>();
      assert.equal(alias.modelId, acme.model);
    });
  });

  describe('open routes', () => {
    it('security headers are set on JSON responses', async () => {
      const response = await as('acmeAdmin', 'GET', '/v1/datasets');
      assert.equal(response.statusCode, 200);
      assert.match(String(response.headers['content-type']), /^application\/json/);
      assertSecurityHeaders(response, 'GET /v1/datasets');
    });

    it('security headers are set on problem responses, those of the key check included', async () => {
      const responses: Array<[string, LightMyRequestResponse]> = [
        ['404', await as('acmeAdmin', 'GET', '/v1/datasets/ds_01hzzzzzzzzzzzzzzzzzzzzzzz')],
        ['401', await as(null, 'GET', '/v1/datasets')],
        ['403', await as('acmePredictor', 'GET', '/v1/datasets')],
      ];
      const bare: string[] = [];
      for (const [status, response] of responses) {
        assert.equal(String(response.statusCode), status, response.body);
        try {
          assertSecurityHeaders(response, status);
        } catch {
          bare.push(`${status} ${response.json<{ code: string }>().code}`);
        }
      }
      assert.deepEqual(bare, [], 'problem responses without security headers');
    });

    it('/metrics is open and holds HTTP, queue, TF.js and event loop metrics', async () => {
      const listed = await as('acmeAdmin', 'GET', '/v1/datasets');
      assert.equal(listed.statusCode, 200);
      const response = await as(null, 'GET', '/metrics');
      assert.equal(response.statusCode, 200, response.body);
      assert.match(String(response.headers['content-type']), /^text\/plain/);
      const text = response.body;
      assert.match(
        text,
        /^finetuned_http_request_duration_seconds_count\{[^}]*route="\/v1\/datasets\/?"[^}]*status_code="200"[^}]*\} \d+/m,
      );
      assert.match(
        text,
        /^finetuned_queue_jobs\{state="waiting"\} [1-9]\d*$/m,
        'the queued jobs are counted',
      );
      assert.match(text, /^finetuned_tfjs_tensors\{process="api"\} \d+$/m);
      assert.match(text, /^nodejs_eventloop_lag_seconds \d/m);
    });

    it('/docs/json is open and is OpenAPI with a bearerAuth scheme that /v1 routes require', async () => {
      const response = await as(null, 'GET', '/docs/json');
      assert.equal(response.statusCode, 200, response.body);
      const doc = response.json<{
        openapi: string;
        components: { securitySchemes: Record<string, { type: string; scheme: string }> };
        paths: Record<string, Record<string, { security?: Array<Record<string, string[]>> }>>;
      }>();
      assert.match(doc.openapi, /^3\./);
      assert.deepEqual(
        {
          type: doc.components.securitySchemes.bearerAuth?.type,
          scheme: doc.components.securitySchemes.bearerAuth?.scheme,
        },
        { type: 'http', scheme: 'bearer' },
      );
      const jobs = doc.paths['/v1/jobs/'] ?? doc.paths['/v1/jobs'];
      assert.deepEqual(jobs?.post?.security, [{ bearerAuth: [] }]);
      assert.equal(doc.paths['/health']?.get?.security, undefined);
    });
  });
});

function assertSecurityHeaders(response: LightMyRequestResponse, what: string) {
  const headers = response.headers;
  assert.equal(headers['x-content-type-options'], 'nosniff', what);
  assert.match(String(headers['content-security-policy']), /default-src 'none'/, what);
  assert.match(String(headers['content-security-policy']), /frame-ancestors 'none'/, what);
  assert.equal(headers['x-frame-options'], 'SAMEORIGIN', what);
  assert.equal(headers['referrer-policy'], 'no-referrer', what);
  assert.match(String(headers['strict-transport-security']), /max-age=\d+/, what);
  assert.equal(headers['cross-origin-resource-policy'], 'same-origin', what);
}

describe('first start without a configured key', () => {
  let env: TestEnv;
  const apps: FastifyInstance[] = [];
  const firstLines: string[] = [];
  let key: string;
  let keysFile: string;
  let fileText: string;

  before(async () => {
    env = await createTestEnv('access-first', { API_KEYS: '', INFERENCE_HOSTS: 1 });
    keysFile = path.join(env.dataDir, 'api-keys.json');
    assert.equal(env.config.API_KEYS_FILE, keysFile);
    apps.push(await buildLoggedApp(env.config, firstLines));
  });

  after(async () => {
    for (const fastify of apps) await fastify.close();
    await env?.cleanup();
  });

  it('logs one generated key, once, and keeps only its hash in a file only the owner reads', async () => {
    const warnings = firstLines.filter((line) => line.includes('no API key was configured'));
    assert.equal(warnings.length, 1, firstLines.join('\n'));
    const logged = /ft_[A-Za-z0-9_-]{43}/.exec(warnings[0]!);
    assert.ok(logged, warnings[0]);
    key = logged[0];

    fileText = await fs.readFile(keysFile, 'utf8');
    const stat = await fs.stat(keysFile);
    assert.equal(stat.mode & 0o777, 0o600, `mode ${(stat.mode & 0o777).toString(8)}`);
    assert.ok(!fileText.includes(key), 'the keys file holds the key itself');
    const { keys } = JSON.parse(fileText) as { keys: Array<Record<string, unknown>> };
    assert.equal(keys.length, 1);
    assert.equal(keys[0]!.sha256, sha256(key));
    assert.deepEqual([keys[0]!.tenant, keys[0]!.scopes], ['default', ['admin', 'operator']]);
  });

  it('the logged key works, and requests made with it do not log it', async () => {
    const [fastify] = apps;
    const response = await fastify!.inject({
      method: 'GET',
      url: '/v1/datasets',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(response.statusCode, 200, response.body);
    assertProblem(await fastify!.inject({ method: 'GET', url: '/v1/datasets' }), 401, 'unauthorized');
    assert.equal(firstLines.filter((line) => line.includes(key)).length, 1);
  });

  it('a second start on the same DATA_DIR generates nothing, and the same key still works', async () => {
    const lines: string[] = [];
    const second = await buildLoggedApp(env.config, lines);
    apps.push(second);
    assert.equal(
      lines.some((line) => line.includes('no API key was configured') || /ft_[A-Za-z0-9_-]{43}/.test(line)),
      false,
      lines.join('\n'),
    );
    assert.equal(await fs.readFile(keysFile, 'utf8'), fileText);
    const response = await second.inject({
      method: 'GET',
      url: '/v1/datasets',
      headers: { authorization: `Bearer ${key}` },
    });
    assert.equal(response.statusCode, 200, response.body);
  });
});

describe('rate limit per key, shared through Redis', () => {
  const LIMIT = 5;
  const limited = (id: string) => ({ id, key: `ft_${id}-key`, tenant: 'default', scopes: ['datasets:read'] });
  const RL = { a: limited('rl-a'), b: limited('rl-b'), c: limited('rl-c'), d: limited('rl-d') };
  let env: TestEnv;
  let first: FastifyInstance;
  let second: FastifyInstance;

  const list = (fastify: FastifyInstance, key: string, url = '/v1/datasets') =>
    fastify.inject({ method: 'GET', url, headers: { authorization: `Bearer ${key}` } });

  before(async () => {
    env = await createTestEnv('access-rate', {
      API_KEYS: testKeys(Object.values(RL)),
      RATE_LIMIT_PER_MINUTE: LIMIT,
      INFERENCE_HOSTS: 1,
      MAX_EVENT_LOOP_DELAY_MS: 60_000,
    });
    // Two API instances with one configuration, as behind a load balancer.
    first = await buildApp(env.config, { credentials: false });
    second = await buildApp(env.config, { credentials: false });
  });

  after(async () => {
    await first?.close();
    await second?.close();
    await env?.cleanup();
  });

  it('the request past the limit is 429 rate_limited with Retry-After; another key is unaffected', async () => {
    for (let i = 0; i < LIMIT; i++) {
      const response = await list(first, RL.a.key);
      assert.equal(response.statusCode, 200, `request ${i + 1}: ${response.body}`);
      assert.equal(response.headers['x-ratelimit-limit'], String(LIMIT));
      assert.equal(response.headers['x-ratelimit-remaining'], String(LIMIT - 1 - i));
    }
    const refused = await list(first, RL.a.key);
    const problem = assertProblem(refused, 429, 'rate_limited');
    assert.equal(problem.limit, LIMIT);
    const retryAfter = Number(refused.headers['retry-after']);
    assert.ok(retryAfter > 0 && retryAfter <= 60, `retry-after ${String(refused.headers['retry-after'])}`);
    assert.equal(refused.headers['x-ratelimit-limit'], String(LIMIT));
    assert.equal(refused.headers['x-ratelimit-remaining'], '0');
    assert.ok(refused.headers['x-ratelimit-reset'] !== undefined, 'x-ratelimit-reset');

    const other = await list(first, RL.b.key);
    assert.equal(other.statusCode, 200, other.body);
  });

  it('/health is never limited, whatever key comes with it', async () => {
    for (let i = 0; i < 3 * LIMIT; i++) {
      const anonymous = await first.inject({ method: 'GET', url: '/health' });
      assert.equal(anonymous.statusCode, 200, anonymous.body);
      const limitedKey = await first.inject({
        method: 'GET',
        url: '/health',
        headers: { authorization: `Bearer ${RL.a.key}` },
      });
      assert.equal(limitedKey.statusCode, 200, limitedKey.body);
    }
  });

  it('two API instances share one count per key', async () => {
    for (let i = 0; i < 3; i++) assert.equal((await list(first, RL.c.key)).statusCode, 200);
    for (let i = 0; i < 2; i++) assert.equal((await list(second, RL.c.key)).statusCode, 200);
    assertProblem(await list(second, RL.c.key), 429, 'rate_limited');
    assertProblem(await list(first, RL.c.key), 429, 'rate_limited');
  });

  it('percent-encoding the path does not escape the limit', async () => {
    // The router decodes %76 to 'v': this is GET /v1/datasets, with the key's scope checked.
    const encoded = '/%761/datasets';
    assert.equal((await list(first, RL.d.key, encoded)).statusCode, 200);
    for (let i = 1; i < LIMIT; i++) assert.equal((await list(first, RL.d.key)).statusCode, 200);
    assertProblem(await list(first, RL.d.key), 429, 'rate_limited');
    assertProblem(await list(first, RL.d.key, encoded), 429, 'rate_limited');
  });
});

describe('load shedding', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  before(async () => {
    env = await createTestEnv('shedding', { MAX_EVENT_LOOP_DELAY_MS: 10 });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('a lagging event loop sheds requests with 503 server_busy and Retry-After, but not /health', async () => {
    assert.equal((await fastify.inject({ method: 'GET', url: '/v1/jobs' })).statusCode, 200);
    // Keep the loop busy in 100 ms slices for longer than one of the load monitor's samples (1 s).
    const until = Date.now() + 1_500;
    while (Date.now() < until) {
      const slice = Date.now() + 100;
      while (Date.now() < slice);
      await new Promise((resolve) => setImmediate(resolve));
    }
    const shed = await fastify.inject({ method: 'GET', url: '/v1/jobs' });
    assertProblem(shed, 503, 'server_busy');
    assert.equal(shed.headers['retry-after'], '5');
    assert.equal((await fastify.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });
});

describe('the queue dashboard under the rate limit', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  before(async () => {
    env = await createTestEnv('dashboard-limit', { RATE_LIMIT_PER_MINUTE: 1 });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('answers past the limit with a 429 problem, though the dashboard has an error handler of its own', async () => {
    assert.equal((await fastify.inject({ method: 'GET', url: '/admin/queues/api/queues' })).statusCode, 200);
    const limited = await fastify.inject({ method: 'GET', url: '/admin/queues/api/queues' });
    assertProblem(limited, 429, 'rate_limited');
    assert.ok(limited.headers['retry-after']);
  });
});

describe('a keys file that lists no keys', () => {
  it('stops the start with the reason, rather than making a key or waiting', async () => {
    const env = await createTestEnv('empty-keys', { API_KEYS: '' });
    try {
      await fs.writeFile(env.config.API_KEYS_FILE, '{"keys": []}\n');
      await assert.rejects(buildApp(env.config), /lists no keys/);
    } finally {
      await env.cleanup();
    }
  });
});
