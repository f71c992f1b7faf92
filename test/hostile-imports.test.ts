import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import type http from 'node:http';
import { after, before, describe, it } from 'node:test';
import { gzipSync } from 'node:zlib';
import { fetchModelFiles } from '../src/models/model-import.js';
import { checkOutboundUrl } from '../src/net/outbound-address.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { startFileServer, type FileServer } from './helpers/file-server.js';
import { tinyGraphModel } from './helpers/graph-model.js';
import { freePort, waitFor } from './helpers/processes.js';

const MiB = 1024 * 1024;
const tiny = tinyGraphModel(64, 10);

/** The tiny model with its manifest naming `path` for weights of `values` floats. */
function namingWeights(path: string, values = 640): Map<string, Buffer> {
  const json = structuredClone(tiny.modelJson);
  json.weightsManifest[0]!.paths = [path];
  json.weightsManifest[0]!.weights[0]!.shape = [values];
  return new Map([['model.json', Buffer.from(JSON.stringify(json))]]);
}

/** Redirects `/hop/<n>/<file>` to `/hop/<n-1>/<file>`, `/hop/0/<file>` to `/tiny/<file>`; `/loop` to itself. */
function hostile(request: http.IncomingMessage, response: http.ServerResponse): boolean {
  const url = request.url ?? '/';
  const hop = /^\/hop\/(\d+)\/(.*)$/.exec(url);
  if (hop) {
    const n = Number(hop[1]);
    response.writeHead(302, { location: n === 0 ? `/tiny/${hop[2]}` : `/hop/${n - 1}/${hop[2]}` }).end();
  } else if (url.startsWith('/loop/')) response.writeHead(301, { location: url }).end();
  else if (url === '/scheme/model.json') response.writeHead(302, { location: 'file:///etc/passwd' }).end();
  else if (url === '/stream/w.bin') {
    // No length declared: the body runs on past every bound.
    response.writeHead(200);
    // Cut off by the importer: writes after that fail, and are not this test's concern.
    response.on('error', () => undefined);
    const chunk = Buffer.alloc(64 * 1024);
    const pump = () => {
      while (response.write(chunk));
    };
    response.on('drain', pump);
    pump();
  } else if (url === '/bomb/w.bin')
    response.writeHead(200, { 'content-encoding': 'gzip' }).end(gzipSync(Buffer.alloc(4 * MiB)));
  else if (url === '/broken/w.bin') response.writeHead(500).end('oops');
  else if (url === '/stall/model.json') return true;
  else if (url === '/trickle/model.json') response.writeHead(200).write('{"format":');
  else return false;
  return true;
}

describe('hostile model imports', () => {
  let env: TestEnv;
  let strictEnv: TestEnv;
  let impatientEnv: TestEnv;
  let fastify: FastifyInstance;
  let strict: FastifyInstance;
  let impatient: FastifyInstance;
  let server: FileServer;

  const importFrom = (app: FastifyInstance, url: string) =>
    app.inject({ method: 'POST', url: '/v1/models/import', payload: { url } });
  /** After a hostile case, the service still imports a good model and answers. */
  const stillHealthy = async (app: FastifyInstance) => {
    const response = await importFrom(app, `${server.base}/tiny/model.json`);
    assert.equal(response.statusCode, 201, response.body);
    assert.equal((await app.inject({ url: '/health' })).statusCode, 200);
  };

  before(async () => {
    server = await startFileServer(hostile);
    server.serveFolder('tiny', tiny.files);
    server.serveFolder('big', new Map([['model.json', Buffer.alloc(2 * MiB, 32)]]));
    const limits = { MODEL_MAX_BYTES: MiB, MODEL_IMPORT_MAX_REDIRECTS: 2, MODEL_MAX_GRAPH_NODES: 8 };
    env = await createTestEnv('hostile-imports', { ...limits, MODEL_IMPORT_ALLOW_PRIVATE: 'true' });
    strictEnv = await createTestEnv('hostile-imports-strict');
    impatientEnv = await createTestEnv('hostile-imports-slow', {
      MODEL_IMPORT_ALLOW_PRIVATE: 'true',
      MODEL_IMPORT_TIMEOUT_MS: 300,
    });
    [fastify, strict, impatient] = await Promise.all([
      buildApp(env.config),
      buildApp(strictEnv.config),
      buildApp(impatientEnv.config),
    ]);
  });

  after(async () => {
    await Promise.all([fastify, strict, impatient].map((app) => app?.close()));
    await server?.close();
    await Promise.all([env, strictEnv, impatientEnv].map((e) => e?.cleanup()));
  });

  it('refuses loopback, private and link-local hosts unless MODEL_IMPORT_ALLOW_PRIVATE, fetching nothing', async () => {
    const port = new URL(server.base).port;
    const before = server.requests.length;
    for (const url of [
      `${server.base}/tiny/model.json`,
      `http://localhost:${port}/tiny/model.json`,
      `http://[::1]:${port}/tiny/model.json`,
      'http://169.254.169.254/latest/meta-data/model.json',
      'http://10.0.0.1/model.json',
    ]) {
      const problem = assertProblem(await importFrom(strict, url), 422, 'model_url_refused');
      assert.equal(problem.field, '/body/url');
      assert.equal(problem.reason, 'private_address');
    }
    assert.equal(server.requests.length, before);
    const bad = assertProblem(
      await importFrom(strict, 'ftp://example.com/model.json'),
      400,
      'validation_failed',
    );
    assert.equal(bad.field, '/body/url');
    assert.equal((await strict.inject({ url: '/health' })).statusCode, 200);
  });

  it('checks every redirect’s address too, not only the first', async () => {
    const inner = await startFileServer();
    inner.serveFolder('tiny', tiny.files);
    const outer = await startFileServer((_request, response) => {
      response.writeHead(302, { location: `${inner.base}/tiny/model.json` }).end();
      return true;
    });
    const trusted = new URL(outer.base).port;
    try {
      // The first server stands for a public one; the address guard judges the rest as it would.
      const options = {
        ...{ allowPrivate: false, timeoutMs: 10_000, maxRedirects: 3, maxBytes: MiB, field: '/body/url' },
        check: (url: URL) => checkOutboundUrl(url, { allowPrivate: url.port === trusted }),
      };
      await assert.rejects(fetchModelFiles(new URL(`${outer.base}/model.json`), options), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'model_url_refused');
        return true;
      });
      assert.equal(outer.requests.length, 1);
      assert.deepEqual(inner.requests, []);
    } finally {
      await Promise.all([inner.close(), outer.close()]);
    }
  });

  it('follows at most MODEL_IMPORT_MAX_REDIRECTS redirects per file, and no loop or odd scheme', async () => {
    const within = await importFrom(fastify, `${server.base}/hop/1/model.json`);
    assert.equal(within.statusCode, 201, within.body);
    for (const [url, reason] of [
      [`${server.base}/hop/2/model.json`, 'redirects'],
      [`${server.base}/loop/model.json`, 'redirects'],
      [`${server.base}/scheme/model.json`, 'invalid_url'],
    ]) {
      const problem = assertProblem(await importFrom(fastify, url!), 422, 'import_failed');
      assert.equal(problem.reason, reason, problem.detail);
      assert.equal(problem.file, 'model.json');
    }
    await stillHealthy(fastify);
  });

  it('refuses weight paths that leave model.json’s folder before fetching them', async () => {
    for (const path of [
      '../secret.bin',
      '/etc/passwd',
      'http://elsewhere.test/w.bin',
      'sub/w.bin',
      '%2e%2e/w.bin',
    ]) {
      const folder = `escape-${server.requests.length}`;
      server.serveFolder(folder, namingWeights(path));
      const before = server.requests.length;
      const response = await importFrom(fastify, `${server.base}/${folder}/model.json`);
      assert.equal(assertProblem(response, 400, 'invalid_model').file, path);
      assert.deepEqual(server.requests.slice(before), [`/${folder}/model.json`]);
    }
    await stillHealthy(fastify);
  });

  it('bounds all the files together by MODEL_MAX_BYTES: declared, streamed or compressed', async () => {
    assert.equal(
      assertProblem(await importFrom(fastify, `${server.base}/big/model.json`), 413, 'model_too_large').file,
      'model.json',
    );
    for (const folder of ['stream', 'bomb']) {
      server.serveFolder(folder, namingWeights('w.bin', 300_000));
      const problem = assertProblem(
        await importFrom(fastify, `${server.base}/${folder}/model.json`),
        413,
        'model_too_large',
      );
      assert.equal(problem.file, 'w.bin');
    }
    await stillHealthy(fastify);
  });

  it('checks a fetched GraphModel as an upload: its graph, and its weights against the manifest', async () => {
    type Nodes = Array<Record<string, unknown>>;
    type Edit = (json: typeof tiny.modelJson, nodes: Nodes) => void;
    const cases: Array<{ edit: Edit; status: number; code: string; detail: RegExp }> = [
      {
        edit: (_, nodes) => nodes.push(...nodes.map((n) => ({ ...n, name: `${String(n.name)}_copy` }))),
        status: 422,
        code: 'model_too_complex',
        detail: /10 nodes: more than 8/,
      },
      {
        edit: (_, nodes) => (nodes[2]!.input = ['x', 'nowhere']),
        status: 422,
        code: 'invalid_topology',
        detail: /takes input 'nowhere'/,
      },
      {
        edit: (_, nodes) => (nodes[3]!.name = 'logits'),
        status: 422,
        code: 'invalid_topology',
        detail: /two nodes are named 'logits'/,
      },
      {
        edit: (_, nodes) => (nodes[1] = 'w' as never),
        status: 400,
        code: 'invalid_model',
        detail: /node\[1\] is not an object/,
      },
      {
        // Quantized to one byte a value, the 640 weights take 640 bytes, not the shard's 2560.
        edit: (json) =>
          (json.weightsManifest[0]!.weights[0]!.quantization = { dtype: 'uint8', scale: 0.01, min: 0 }),
        status: 400,
        code: 'invalid_model',
        detail: /describes 640 bytes .* hold 2560/,
      },
    ];
    for (const [i, { edit, status, code, detail }] of cases.entries()) {
      const json = structuredClone(tiny.modelJson);
      edit(json, (json.modelTopology as { node: Nodes }).node);
      server.serveFolder(
        `graph-${i}`,
        new Map([...tiny.files, ['model.json', Buffer.from(JSON.stringify(json))]]),
      );
      const response = await importFrom(fastify, `${server.base}/graph-${i}/model.json`);
      assert.match(assertProblem(response, status, code).detail, detail);
    }
    await stillHealthy(fastify);
  });

  it('names what the remote answered, and a remote that cannot be reached', async () => {
    const missing = assertProblem(
      await importFrom(fastify, `${server.base}/nowhere/model.json`),
      422,
      'import_failed',
    );
    assert.deepEqual([missing.reason, missing.remoteStatus, missing.file], ['status', 404, 'model.json']);
    server.serveFolder('broken', namingWeights('w.bin'));
    const broken = assertProblem(
      await importFrom(fastify, `${server.base}/broken/model.json`),
      422,
      'import_failed',
    );
    assert.deepEqual([broken.reason, broken.remoteStatus, broken.file], ['status', 500, 'w.bin']);
    const closed = `http://127.0.0.1:${await freePort()}/model.json`;
    assert.equal(assertProblem(await importFrom(fastify, closed), 422, 'import_failed').reason, 'network');
    await stillHealthy(fastify);
  });

  it('gives up on a remote slower than MODEL_IMPORT_TIMEOUT_MS, and closes the connection', async () => {
    for (const path of ['/stall/model.json', '/trickle/model.json']) {
      const problem = assertProblem(
        await importFrom(impatient, `${server.base}${path}`),
        422,
        'import_failed',
      );
      assert.equal(problem.reason, 'timeout');
      // The importer hung up: the server sees the connection close without its answer finished.
      await waitFor(`${path} to be abandoned`, async () =>
        server.abandoned.includes(path) ? true : undefined,
      );
    }
    await stillHealthy(impatient);
  });
});
