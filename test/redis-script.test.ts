import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { RedisScript } from '../src/redis-script.js';
import { freePort } from './helpers/processes.js';
import { startRedisServer, type RedisProcess } from './helpers/redis-servers.js';

// A server of its own: the test flushes its scripts.
describe('Lua scripts run by their SHA1 (a Redis server of its own)', () => {
  let dir: string;
  let server: RedisProcess;
  let redis: Redis;
  const counter = new RedisScript(`return redis.call('INCRBY', KEYS[1], ARGV[1])`);

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-redis-script-'));
    const port = await freePort();
    server = await startRedisServer(dir, port, ['--port', String(port)]);
    redis = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
  });

  after(async () => {
    redis?.disconnect();
    await server?.kill();
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('sends the text once, then only the SHA1; after a SCRIPT FLUSH it sends it again and runs it once', async () => {
    assert.equal(await counter.run(redis, ['n'], [2]), 2);
    assert.deepEqual(await redis.script('EXISTS', counter.sha), [1]);
    assert.equal(await counter.run(redis, ['n'], [3]), 5);
    await redis.script('FLUSH');
    assert.equal(
      await counter.run(redis, ['n'], [4]),
      9,
      'run once, not once for the NOSCRIPT and once more',
    );
    assert.equal(await redis.get('n'), '9');
  });

  it("passes a script's own error on, and does not run it a second time", async () => {
    const failing = new RedisScript(
      `redis.call('INCR', KEYS[1]); return redis.error_reply('NOPE no such thing')`,
    );
    await assert.rejects(failing.run(redis, ['m']), /NOPE no such thing/);
    assert.equal(await redis.get('m'), '1');
  });
});
