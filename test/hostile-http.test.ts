import Fastify, { type FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import app, { serverOptions } from '../src/app.js';
import { loggerOptions } from '../src/logger.js';
import { WorkerRegistry, type WorkerInfo } from '../src/queue/worker-registry.js';
import { selectBackend } from '../src/tf/backend.js';
import { assertProblem, type Problem } from './helpers/app.js';
import { createTestEnv, TEST_AUTHORIZATION, TEST_KEY, testKeys, type TestEnv } from './helpers/env.js';

/** What a raw connection got back, and whether the server closed it. */
interface RawExchange {
  text: string;
  closed: boolean;
}

/**
 * Sends `head` (and `body`, if any) on a plain socket and reads until the server closes the connection or
 * `waitMs` passes; `waitMs` bounds the test's wait, it is not what is asserted.
 */
async function exchange(port: number, head: string, body = '', waitMs = 10_000): Promise<RawExchange> {
  const socket = net.connect(port, '127.0.0.1');
  await once(socket, 'connect');
  let text = '';
  socket.on('data', (chunk: Buffer) => (text += chunk.toString('latin1')));
  socket.write(head + body);
  const closed = await Promise.race([
    once(socket, 'close').then(() => true),
    new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs)),
  ]);
  socket.destroy();
  return { text, closed };
}

const statusOf = (text: string) => Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
const problemOf = (text: string) => JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)) as Problem;

describe('hostile connections against a listening API', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let port: number;
  const lines: string[] = [];
  let baselineRss = 0;

  before(async () => {
    env = await createTestEnv('hostile-http', {
      HTTP_BODY_IDLE_TIMEOUT_MS: 300,
      HTTP_HEADERS_TIMEOUT_MS: 500,
      API_KEYS: testKeys([{ id: 'acme', key: 'ft_acme-admin', tenant: 'acme', scopes: ['admin'] }]),
    });
    const stream = new Writable({
      write(chunk: Buffer, _encoding, done) {
        lines.push(...String(chunk).split('\n').filter(Boolean));
        done();
      },
    });
    server = Fastify(serverOptions(env.config, { ...loggerOptions('info', 'api'), stream }));
    await server.register(app, { config: env.config, backend: await selectBackend('auto') });
    await server.listen({ port: 0, host: '127.0.0.1' });
    port = (server.server.address() as net.AddressInfo).port;
    baselineRss = process.memoryUsage().rss;
  });

  after(async () => {
    await server?.close();
    await env?.cleanup();
  });

  const post = (extra: string, length = 5000) =>
    `POST /v1/datasets HTTP/1.1\r\nHost: x\r\nContent-Type: text/csv\r\nContent-Length: ${length}\r\n${extra}\r\n`;

  it('a body that stops arriving is cut off with 408 body_timeout and the connection closed', async () => {
    const { text, closed } = await exchange(
      port,
      post(`Authorization: ${TEST_AUTHORIZATION}\r\n`),
      'label,a\n',
    );
    assert.equal(statusOf(text), 408, text);
    assert.equal(problemOf(text).code, 'body_timeout');
    assert.ok(closed, 'the connection stayed open');
  });

  it('a request without a key gets its 401 and the connection closes without waiting for the body', async () => {
    const { text, closed } = await exchange(port, post(''));
    assert.equal(statusOf(text), 401, text);
    assert.ok(closed, 'the connection stayed open');
  });

  it('a client that sends its whole large body after being refused reads the refusal, not a reset', async () => {
    const response = await fetch(`http://127.0.0.1:${port}/v1/datasets`, {
      method: 'POST',
      headers: { 'content-type': 'text/csv' },
      body: 'label,a\n'.padEnd(512 * 1024, '1'),
    });
    assert.equal(response.status, 401);
    assert.equal(((await response.json()) as Problem).code, 'unauthorized');
  });

  it('a multipart model upload that stops arriving is cut off too', async () => {
    const boundary = 'b0undary';
    const head =
      `POST /v1/models HTTP/1.1\r\nHost: x\r\nAuthorization: ${TEST_AUTHORIZATION}\r\n` +
      `Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: 100000\r\n\r\n`;
    const part = `--${boundary}\r\nContent-Disposition: form-data; name="model.json"; filename="model.json"\r\n\r\n{"mod`;
    const { text, closed } = await exchange(port, head, part);
    assert.ok(closed, 'the connection stayed open');
    assert.equal(statusOf(text), 408, text);
  });

  it('50 keyless connections with pending bodies are all closed', async () => {
    const results = await Promise.all(Array.from({ length: 50 }, () => exchange(port, post(''))));
    assert.deepEqual(
      results.map((r) => [statusOf(r.text), r.closed]),
      results.map(() => [401, true]),
    );
  });

  it('Expect: 100-continue is answered only for a valid key', async () => {
    const refused = await exchange(port, post('Expect: 100-continue\r\nAuthorization: Bearer ft_wrong\r\n'));
    assert.equal(statusOf(refused.text), 401, refused.text);
    assert.doesNotMatch(refused.text, /100 Continue/);
    assert.ok(refused.closed);

    const socket = net.connect(port, '127.0.0.1');
    await once(socket, 'connect');
    socket.write(post(`Expect: 100-continue\r\nAuthorization: ${TEST_AUTHORIZATION}\r\n`, 9));
    const [first] = (await once(socket, 'data')) as [Buffer];
    assert.match(first.toString(), /^HTTP\/1\.1 100 Continue/);
    socket.destroy();
  });

  it('request heads that never finish are closed', async () => {
    const { closed } = await exchange(port, 'GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a');
    assert.ok(closed, 'the connection stayed open');
  });

  it('two Authorization headers are 400 duplicate_authorization', async () => {
    const { text } = await exchange(
      port,
      `GET /v1/datasets HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ft_wrong\r\nAuthorization: ${TEST_AUTHORIZATION}\r\nConnection: close\r\n\r\n`,
    );
    assert.equal(statusOf(text), 400, text);
    const problem = problemOf(text);
    assert.equal(problem.code, 'duplicate_authorization');
    assert.equal(problem.field, '/headers/authorization');
  });

  it('a key in the query string is redacted in the problem and in the logs', async () => {
    const response = await fetch(
      `http://127.0.0.1:${port}/v1/datasets?api_key=${TEST_KEY}&token=${TEST_KEY}`,
      {
        headers: { authorization: TEST_AUTHORIZATION },
      },
    );
    const problem = (await response.json()) as Problem;
    assert.equal(response.status, 400);
    assert.equal(problem.instance, '/v1/datasets?api_key=[redacted]&token=[redacted]');
    const leaked = lines.filter((line) => line.includes(TEST_KEY));
    assert.deepEqual(leaked, []);
    assert.ok(
      lines.some((line) => line.includes('api_key=[redacted]')),
      'the request was not logged',
    );
  });

  it('an over-long X-Request-Id is replaced, a plain one kept', async () => {
    const long = await fetch(`http://127.0.0.1:${port}/v1/nothing`, {
      headers: { 'x-request-id': 'r'.repeat(8000) },
    });
    const replaced = ((await long.json()) as Problem).requestId;
    assert.ok(replaced.length <= 128, `requestId of ${replaced.length} characters`);
    const plain = await fetch(`http://127.0.0.1:${port}/v1/nothing`, {
      headers: { 'x-request-id': 'trace-7' },
    });
    assert.equal(((await plain.json()) as Problem).requestId, 'trace-7');
  });

  it('afterwards /health answers and memory is near its baseline', async () => {
    assert.equal((await fetch(`http://127.0.0.1:${port}/health`)).status, 200);
    const MiB = 1024 * 1024;
    const rss = process.memoryUsage().rss;
    console.log(
      `rss baseline ${Math.round(baselineRss / MiB)} MiB, after the hostile connections ${Math.round(rss / MiB)} MiB`,
    );
    assert.ok(rss < baselineRss + 200 * MiB, `rss grew from ${baselineRss} to ${rss}`);
  });
});

describe('hostile bodies and the worker list, through inject', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  const ACME = 'Bearer ft_acme-admin';

  before(async () => {
    env = await createTestEnv('hostile-bodies', {
      API_KEYS: testKeys([
        { id: 'acme', key: 'ft_acme-admin', tenant: 'acme', scopes: ['admin'] },
        { id: 'ops', key: 'ft_ops', tenant: 'ops', scopes: ['operator'] },
      ]),
    });
    fastify = Fastify(serverOptions(env.config, false));
    await fastify.register(app, { config: env.config, backend: await selectBackend('auto') });
    await fastify.ready();
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  const upload = (payload: Buffer | string, type: string, authorization = TEST_AUTHORIZATION) =>
    fastify.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: { 'content-type': type, authorization },
      payload,
    });

  it('a Latin-1 CSV keeps its labels; an unknown charset is 415 unsupported_charset', async () => {
    const csv = 'label,a,b\ncafé,1,2\ncafé,2,3\nthé,3,4\nthé,4,5\n';
    const response = await upload(Buffer.from(csv, 'latin1'), 'text/csv; charset=ISO-8859-1');
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(response.json<{ labels: string[] }>().labels.sort(), ['café', 'thé']);
    const problem = assertProblem(
      await upload(csv, 'text/csv; charset=x-klingon'),
      415,
      'unsupported_charset',
    );
    assert.equal(problem.charset, 'x-klingon');
  });

  it('JSON bodies in another charset than UTF-8 are 415, not read as UTF-8', async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { 'content-type': 'application/json; charset=latin1', authorization: TEST_AUTHORIZATION },
      payload: Buffer.from('{"dataset":"ds_01hzzzzzzzzzzzzzzzzzzzzzzz","name":"café"}', 'latin1'),
    });
    assertProblem(response, 415, 'unsupported_charset');
  });

  it('an NDJSON dataset that starts with a byte order mark is read', async () => {
    const rows = ['{"x":[1,2],"y":"a"}', '{"x":[2,3],"y":"a"}', '{"x":[3,1],"y":"b"}'];
    const response = await upload(`\uFEFF${rows.join('\n')}\n`, 'application/x-ndjson');
    assert.equal(response.statusCode, 201, response.body);
  });

  it('labels holding a newline are kept in labelCounts', async () => {
    const csv = 'label,a\n"two\nlines",1\n"two\nlines",2\nplain,3\nplain,4\n';
    const response = await upload(csv, 'text/csv');
    assert.equal(response.statusCode, 201, response.body);
    assert.deepEqual(response.json<{ labelCounts: object }>().labelCounts, { 'two\nlines': 2, plain: 2 });
  });

  it('metadata keys holding a newline are held to the value schema', async () => {
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      headers: { authorization: TEST_AUTHORIZATION },
      payload: {
        dataset: 'ds_01hzzzzzzzzzzzzzzzzzzzzzzz',
        metadata: { 'a\nb': { nested: 'x'.repeat(200_000) } },
      },
    });
    const problem = assertProblem(response, 400, 'validation_failed');
    assert.match(problem.field as string, /^\/body\/metadata/);
  });

  it('a URL past the router limit is 414 uri_too_long, with a title and a short detail', async () => {
    const response = await fastify.inject({ method: 'GET', url: `/v1/datasets/${'a'.repeat(1500)}` });
    const problem = assertProblem(response, 414, 'uri_too_long');
    assert.equal(problem.title, 'URI Too Long');
    assert.ok(problem.detail.length < 400);
  });

  it("a tenant's admin sees only its own jobs in the worker list; the operator sees all", async () => {
    await fastify.quotas.admitJob('default', 'job_default');
    await fastify.quotas.admitJob('acme', 'job_acme');
    const registry = new WorkerRegistry(env.redis, env.config.QUEUE_PREFIX, 60_000);
    const now = new Date().toISOString();
    const worker: WorkerInfo = {
      ...{ id: 'wrk_1', host: 'h', pid: 1, backend: 'wasm', device: 'cpu', concurrency: 2 },
      jobs: [
        { id: 'job_default', samplesPerSecond: 10 },
        { id: 'job_acme', samplesPerSecond: 20 },
      ],
      ...{ samplesPerSecond: 30, draining: false, startedAt: now, lastHeartbeat: now },
    };
    await registry.beat(worker);
    const list = async (authorization: string) =>
      (await fastify.inject({ method: 'GET', url: '/v1/workers', headers: { authorization } })).json<{
        items: WorkerInfo[];
      }>();
    const acme = await list(ACME);
    assert.deepEqual(
      acme.items[0]!.jobs.map((job) => job.id),
      ['job_acme'],
    );
    assert.equal(acme.items[0]!.samplesPerSecond, 20, "the worker's pace counts only acme's job");
    for (const authorization of [TEST_AUTHORIZATION, 'Bearer ft_ops']) {
      const operator = await list(authorization);
      assert.deepEqual(
        operator.items[0]!.jobs.map((job) => job.id),
        ['job_default', 'job_acme'],
      );
      assert.equal(operator.items[0]!.samplesPerSecond, 30);
    }
  });
});
