import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Config } from '../src/config.js';
import type { JobView } from '../src/jobs/job-service.js';
import { createRedis, redisAnswers, redisOptions } from '../src/redis.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { apiClient, trainAndPredict } from './helpers/http.js';
import { freePort, listen, spawnWorker, waitFor } from './helpers/processes.js';
import { makeCertificates, startRedisServer, type RedisProcess } from './helpers/redis-servers.js';

/** The API on a real port and one worker process, both on `config`'s Redis; and a job run through them. */
async function startService(config: Config) {
  const { server, base } = await listen(config);
  const worker = spawnWorker(config);
  const api = apiClient(base, worker.output);
  const stop = async () => {
    await worker.kill();
    await server.close();
  };
  return { worker, ...api, trainAndPredict: () => trainAndPredict(api, worker.output), stop };
}

describe('Redis over TLS (rediss://) with a password', () => {
  let dir: string;
  let env: TestEnv;
  let redis: RedisProcess;
  let service: Awaited<ReturnType<typeof startService>> | undefined;

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-redis-tls-'));
    const certs = await makeCertificates(dir);
    const port = await freePort();
    redis = await startRedisServer(path.join(dir, 'redis'), port, [
      '--port',
      '0',
      '--tls-port',
      String(port),
      '--tls-cert-file',
      certs.cert,
      '--tls-key-file',
      certs.key,
      '--tls-ca-cert-file',
      certs.ca,
      '--tls-auth-clients',
      'no',
      '--requirepass',
      's3cret/+',
    ]);
    env = await createTestEnv('redis-tls', {
      REDIS_URL: `rediss://:${encodeURIComponent('s3cret/+')}@127.0.0.1:${port}`,
      REDIS_TLS_CA_FILE: certs.ca,
    });
  });

  after(async () => {
    await service?.stop();
    await redis?.kill();
    await env?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('trusts only the configured CA, and a missing CA file is named', async () => {
    assert.equal(await redisAnswers(env.config), true);
    assert.equal(
      await redisAnswers({ ...env.config, REDIS_TLS_CA_FILE: '' }),
      false,
      'an unknown CA is refused',
    );
    assert.equal(
      await redisAnswers({ ...env.config, REDIS_URL: env.config.REDIS_URL.replace('rediss:', 'redis:') }),
      false,
      'plain text gets no answer from a TLS port',
    );
    assert.throws(
      () => redisOptions({ ...env.config, REDIS_TLS_CA_FILE: path.join(dir, 'missing.pem') }),
      /REDIS_TLS_CA_FILE: cannot read .*missing\.pem/,
    );
  });

  it('runs the whole path, and every key it writes is under QUEUE_PREFIX', async () => {
    service = await startService(env.config);
    const health = await service.call<{ status: string }>('GET', '/ready');
    assert.equal(health.status, 200, JSON.stringify(health.body));
    await service.trainAndPredict();

    const client = createRedis(env.config, 'producer', { enableOfflineQueue: true });
    try {
      const keys = await client.keys('*');
      assert.ok(keys.length > 5, `keys were written: ${keys.join(', ')}`);
      const outside = keys.filter((key) => !key.startsWith(`${env.prefix}:`));
      assert.deepEqual(outside, [], 'no key outside the prefix');
    } finally {
      client.disconnect();
    }
  });
});

describe('Redis through Sentinel', () => {
  const NAME = 'finetuned-test';
  let dir: string;
  let env: TestEnv;
  let primary: RedisProcess;
  let replica: RedisProcess;
  let sentinel: RedisProcess;
  let sentinelClient: Redis;
  let service: Awaited<ReturnType<typeof startService>> | undefined;

  const primaryPort = async () =>
    Number(((await sentinelClient.call('SENTINEL', 'get-master-addr-by-name', NAME)) as string[])[1]);

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-redis-sentinel-'));
    const [primaryAt, replicaAt, sentinelAt] = [await freePort(), await freePort(), await freePort()];
    primary = await startRedisServer(path.join(dir, 'primary'), primaryAt, ['--port', String(primaryAt)]);
    replica = await startRedisServer(path.join(dir, 'replica'), replicaAt, [
      '--port',
      String(replicaAt),
      '--replicaof',
      '127.0.0.1',
      String(primaryAt),
    ]);
    // Sentinel rewrites its config file, so it gets one of its own.
    const conf = path.join(dir, 'sentinel.conf');
    await fs.writeFile(
      conf,
      [
        `port ${sentinelAt}`,
        `sentinel monitor ${NAME} 127.0.0.1 ${primaryAt} 1`,
        `sentinel down-after-milliseconds ${NAME} 500`,
        `sentinel failover-timeout ${NAME} 5000`,
        '',
      ].join('\n'),
    );
    sentinel = await startRedisServer(path.join(dir, 'sentinel'), sentinelAt, [conf, '--sentinel']);
    sentinelClient = new Redis({ port: sentinelAt, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    await waitFor('Sentinel to see the replica', async () => {
      const replicas = (await sentinelClient.call('SENTINEL', 'replicas', NAME)) as string[][];
      return replicas.length === 1 ? true : undefined;
    });
    env = await createTestEnv('redis-sentinel', {
      // With Sentinels, the URL's host and port are not used: the Sentinels say where the primary is.
      REDIS_URL: 'redis://primary.invalid:1',
      REDIS_SENTINELS: `127.0.0.1:${sentinelAt}`,
      REDIS_SENTINEL_NAME: NAME,
    });
    assert.equal(await primaryPort(), primaryAt);
  });

  after(async () => {
    await service?.stop();
    sentinelClient?.disconnect();
    for (const server of [sentinel, replica, primary]) await server?.kill();
    await env?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('finds the primary, and goes on through a failover to the replica', async () => {
    service = await startService(env.config);
    const before = await service.trainAndPredict();

    // Everything so far has reached the replica before the primary dies.
    const direct = new Redis({ port: primary.port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    assert.equal(await direct.call('WAIT', '1', '5000'), 1);
    direct.disconnect();
    await primary.kill();
    await waitFor('Sentinel to promote the replica', async () =>
      (await primaryPort()) === replica.port ? true : undefined,
    );
    await waitFor('the API to reach the new primary', async () =>
      (await service!.call('GET', '/ready')).status === 200 ? true : undefined,
    );

    const kept = await service.ok<JobView>('GET', `/v1/jobs/${before.id}`);
    assert.equal(kept.status, 'succeeded', 'the job done before the failover is still there');
    // The same worker process takes the next job from the new primary.
    await service.trainAndPredict();
    assert.equal(service.worker.child.exitCode, null, 'the worker lived through the failover');
  });
});
