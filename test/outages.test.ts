import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import S3rver from 's3rver';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { freePort, waitFor } from './helpers/processes.js';
import { startRedisServer, type RedisProcess } from './helpers/redis-servers.js';

describe('a dependency that goes away', () => {
  let dir: string;
  let redis: RedisProcess;
  let env: TestEnv;
  let fastify: FastifyInstance;
  let storeEnv: TestEnv;
  let storeless: FastifyInstance;
  let s3: S3rver;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-outages-'));
    const port = await freePort();
    redis = await startRedisServer(dir, port, ['--port', String(port)]);
    env = await createTestEnv('outage-redis', { REDIS_URL: `redis://127.0.0.1:${port}` });
    fastify = await buildApp(env.config);
    // An S3-compatible store that is there at start-up (the API checks it) and goes away later.
    s3 = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: path.join(dir, 's3'),
      configureBuckets: [{ name: 'outage', configs: [] }],
    });
    const { port: s3Port } = await s3.run();
    storeEnv = await createTestEnv('outage-store', {
      STORE_URL: 's3://outage/prefix',
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    storeless = await buildApp(storeEnv.config);
    await s3.close();
  });

  after(async () => {
    await fastify?.close();
    await storeless?.close();
    await redis?.kill();
    await env?.cleanup();
    await storeEnv?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  /** A small dataset, uploaded while everything is up; returns its id. */
  const uploadDigits = async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'text/csv' },
      payload: digitsCsv({ perClass: 2 }),
    });
    assert.equal(response.statusCode, 201, response.body);
    return response.json<{ id: string }>().id;
  };

  it('Redis down: requests that need it are 503 redis_unavailable with Retry-After, /health stays 200, and all recover when it is back', async () => {
    const datasetId = await uploadDigits();
    await redis.kill();
    await waitFor('the connection to drop', async () =>
      fastify.redis.status === 'ready' ? undefined : true,
    );

    const jobs = await fastify.inject({ method: 'GET', url: '/v1/jobs' });
    assertProblem(jobs, 503, 'redis_unavailable');
    assert.equal(jobs.headers['retry-after'], '5');
    const submit = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: {
        dataset: datasetId,
        architecture: { type: 'mlp' },
      },
    });
    assertProblem(submit, 503, 'redis_unavailable');
    assertProblem(await fastify.inject({ method: 'GET', url: '/ready' }), 503, 'not_ready');
    assert.equal((await fastify.inject({ method: 'GET', url: '/health' })).statusCode, 200);

    redis = await startRedisServer(dir, redis.port, ['--port', String(redis.port)]);
    await waitFor('the API to reconnect', async () =>
      (await fastify.inject({ method: 'GET', url: '/ready' })).statusCode === 200 ? true : undefined,
    );
    assert.equal((await fastify.inject({ method: 'GET', url: '/v1/jobs' })).statusCode, 200);
  });

  it('Redis full (maxmemory with noeviction): writes are 503 redis_unavailable naming the refusal; reads go on', async () => {
    const datasetId = await uploadDigits();
    await fastify.redis.config('SET', 'maxmemory', '1');
    try {
      const submit = await fastify.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { dataset: datasetId, architecture: { type: 'mlp' } },
      });
      const problem = assertProblem(submit, 503, 'redis_unavailable');
      assert.match(problem.detail, /refused the command \(OOM\)/);
      assert.equal(submit.headers['retry-after'], '5');
      assert.equal((await fastify.inject({ method: 'GET', url: '/v1/jobs' })).statusCode, 200);
    } finally {
      await fastify.redis.config('SET', 'maxmemory', '0');
    }
  });

  it('store unreachable: uploads and reads are 503 store_unavailable with Retry-After, and /ready says so', async () => {
    const upload = await storeless.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': 'text/csv' },
      payload: digitsCsv({ perClass: 2 }),
    });
    assertProblem(upload, 503, 'store_unavailable');
    assert.equal(upload.headers['retry-after'], '5');
    assertProblem(await storeless.inject({ method: 'GET', url: '/v1/datasets' }), 503, 'store_unavailable');
    assertProblem(await storeless.inject({ method: 'GET', url: '/ready' }), 503, 'not_ready');
    assert.equal((await storeless.inject({ method: 'GET', url: '/health' })).statusCode, 200);
  });
});
