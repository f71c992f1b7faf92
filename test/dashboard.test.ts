import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { DASHBOARD_CSP, defaultDashboardDir } from '../src/routes/dashboard.routes.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';

const PAGE =
  '<!doctype html><title>dashboard</title><script type="module" src="/ui/assets/index-abc.js"></script>';

/** How /ui/ serves what Vite builds; the page itself in a browser is test/dashboard-browser.test.ts's. */
describe('the dashboard route (/ui/)', () => {
  let built: string;
  let env: TestEnv;
  let app: FastifyInstance;
  let bare: { env: TestEnv; app: FastifyInstance; dir: string };

  before(async () => {
    // A build as Vite lays it out, without running Vite.
    built = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-ui-'));
    await fs.mkdir(path.join(built, 'assets'));
    await fs.writeFile(path.join(built, 'index.html'), PAGE);
    await fs.writeFile(path.join(built, 'assets', 'index-abc.js'), 'console.log(1);\n');
    env = await createTestEnv('dashboard-route', { DASHBOARD_DIR: built });
    app = await buildApp(env.config, { credentials: false });
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-no-ui-'));
    const bareEnv = await createTestEnv('dashboard-unbuilt', { DASHBOARD_DIR: dir });
    bare = { env: bareEnv, app: await buildApp(bareEnv.config, { credentials: false }), dir };
  });

  after(async () => {
    await app?.close();
    await bare?.app.close();
    await env?.cleanup();
    await bare?.env.cleanup();
    await fs.rm(built, { recursive: true, force: true });
    if (bare) await fs.rm(bare.dir, { recursive: true, force: true });
  });

  it('serves the page without a key, for /ui, /ui/ and client-side routes, under its own strict policy', async () => {
    for (const url of ['/ui', '/ui/', '/ui/jobs/job_01', '/ui/models/mdl_x.y']) {
      const response = await app.inject({ method: 'GET', url });
      assert.equal(response.statusCode, 200, `${url}: ${response.body}`);
      assert.match(String(response.headers['content-type']), /^text\/html/);
      assert.equal(response.body, PAGE);
      assert.equal(response.headers['content-security-policy'], DASHBOARD_CSP);
      assert.equal(response.headers['cache-control'], 'no-cache');
    }
    assert.doesNotMatch(DASHBOARD_CSP, /unsafe-inline|unsafe-eval/);
    assert.match(DASHBOARD_CSP, /script-src 'self'/);
    assert.match(DASHBOARD_CSP, /frame-ancestors 'none'/);
  });

  it('serves hashed assets for a year, and a missing one is a 404 problem, not the page', async () => {
    const asset = await app.inject({ method: 'GET', url: '/ui/assets/index-abc.js' });
    assert.equal(asset.statusCode, 200);
    assert.match(String(asset.headers['content-type']), /javascript/);
    assert.match(String(asset.headers['cache-control']), /max-age=31536000.*immutable/);
    assertProblem(
      await app.inject({ method: 'GET', url: '/ui/assets/index-gone.js' }),
      404,
      'route_not_found',
    );
    for (const file of ['..%2f..%2fpackage.json', '%2e%2e%2findex.html', '.env']) {
      const climbing = await app.inject({ method: 'GET', url: `/ui/assets/${file}` });
      assert.equal(assertProblem(climbing, 400, 'validation_failed').field, '/params/file');
    }
  });

  it('keeps the API’s own policy and key on /v1, and leaves /ui out of the OpenAPI document', async () => {
    const api = await app.inject({ method: 'GET', url: '/v1/jobs' });
    assertProblem(api, 401, 'unauthorized');
    assert.match(String(api.headers['content-security-policy']), /default-src 'none'/);
    assert.notEqual(api.headers['content-security-policy'], DASHBOARD_CSP);
    const document = (await app.inject({ method: 'GET', url: '/docs/json' })).json<{ paths: object }>();
    assert.deepEqual(
      Object.keys(document.paths).filter((p) => p.startsWith('/ui')),
      [],
    );
  });

  it('without a build, /ui/ is a 503 saying how to make one, and the API starts and answers anyway', async () => {
    const problem = assertProblem(
      await bare.app.inject({ method: 'GET', url: '/ui/' }),
      503,
      'dashboard_not_built',
    );
    assert.match(problem.detail, /npm run build:ui/);
    assertProblem(
      await bare.app.inject({ method: 'GET', url: '/ui/assets/index-abc.js' }),
      503,
      'dashboard_not_built',
    );
    assert.equal((await bare.app.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    // A build made after start-up is served without a restart.
    await fs.writeFile(path.join(bare.dir, 'index.html'), PAGE);
    assert.equal((await bare.app.inject({ method: 'GET', url: '/ui/' })).statusCode, 200);
  });

  it('finds web/dist beside package.json by default', () => {
    assert.equal(defaultDashboardDir(), path.resolve(import.meta.dirname, '..', 'web', 'dist'));
  });
});
