import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { startFileServer, type FileServer } from './helpers/file-server.js';
import { tinyGraphModel } from './helpers/graph-model.js';
import { multipartBody } from './helpers/multipart.js';
import { nsfwjsModel, type UnwrappedModel } from './helpers/nsfwjs-models.js';

/** SHA-256 of model.json then each weight file in manifest order: what an import's `sha256` pins. */
function digestOf({ modelJson, files }: UnwrappedModel): string {
  const hash = createHash('sha256').update(files.get('model.json')!);
  for (const path of new Set(modelJson.weightsManifest.flatMap((group) => group.paths)))
    hash.update(files.get(path)!);
  return hash.digest('hex');
}

const MIRRORED_BASE = 'mobilenet-v2-1.00-224-no-top';
/** One 224×224×3 image of mid-grey pixels, as a flat row: 150528 values, well within JSON_MAX_BYTES. */
const GREY_IMAGE = new Array<number>(224 * 224 * 3).fill(128);

describe('model imports', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let server: FileServer;
  const layers = nsfwjsModel('mobilenet_v2');
  const graph = nsfwjsModel('mobilenet_v2_mid');
  const tiny = tinyGraphModel(64, 10);

  const importModel = (body: object) =>
    fastify.inject({ method: 'POST', url: '/v1/models/import', payload: body });
  const imported = async (body: object): Promise<ModelRecord> => {
    const response = await importModel(body);
    assert.equal(response.statusCode, 201, response.body);
    assert.match(String(response.headers.location), /^\/v1\/models\/mdl_/);
    return response.json<ModelRecord>();
  };
  const predict = async (id: string, instance: number[]) => {
    const response = await fastify.inject({
      method: 'POST',
      url: `/v1/models/${id}/predict`,
      payload: { instances: [instance], topK: 2 },
    });
    assert.equal(response.statusCode, 200, response.body);
    return response.json<{ predictions: Array<{ label: string; score: number }> }>().predictions;
  };

  before(async () => {
    server = await startFileServer();
    server.serveFolder('keras', layers.files);
    server.serveFolder('graph', graph.files);
    server.serveFolder('tiny', tiny.files);
    server.serveFolder(`mirror/${MIRRORED_BASE}`, layers.files);
    env = await createTestEnv('model-import', {
      MODEL_IMPORT_ALLOW_PRIVATE: 'true',
      BASE_MIRROR_URL: `${server.base}/mirror`,
    });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await server?.close();
    await env?.cleanup();
  });

  it('imports a pretrained LayersModel from a URL, with its preprocessing, and predicts with it', async () => {
    const scaling = { scale: 1 / 127.5, offset: -1 };
    const url = `${server.base}/keras/model.json`;
    const record = await imported({ url, preprocessing: scaling, name: 'nsfw mobilenet' });
    assert.equal(record.source, 'import');
    assert.equal(record.format, 'layers-model');
    assert.equal(record.name, 'nsfw mobilenet');
    assert.deepEqual(record.inputShape, [224, 224, 3]);
    assert.deepEqual(record.preprocessing, { pixels: scaling });
    assert.deepEqual(record.origin, { url, base: null, sha256: digestOf(layers) });
    assert.deepEqual(record.files, ['model.json', 'group1-shard1of1']);
    assert.ok(record.layers.some((layer) => layer.name === 'out_relu'));
    const [prediction] = await predict(record.id, GREY_IMAGE);
    assert.ok(prediction!.score > 0 && prediction!.score <= 1, JSON.stringify(prediction));
    // Stored as fetched: the weights are served back byte for byte.
    const shard = await fastify.inject({ url: `/v1/models/${record.id}/group1-shard1of1` });
    assert.ok(shard.rawPayload.equals(layers.files.get('group1-shard1of1')!));
  });

  it('imports a GraphModel as a frozen whole (no layers, no cut) and predicts with it', async () => {
    const record = await imported({
      url: `${server.base}/graph/model.json`,
      labels: ['a', 'b', 'c', 'd', 'e'],
    });
    assert.equal(record.format, 'graph-model');
    assert.deepEqual(record.layers, []);
    assert.equal(record.defaultCutLayer, null);
    assert.deepEqual(record.inputShape, [224, 224, 3]);
    assert.deepEqual(record.files, ['model.json', 'group1-shard1of2', 'group1-shard2of2']);
    const predictions = await predict(record.id, GREY_IMAGE);
    assert.ok(['a', 'b', 'c', 'd', 'e'].includes(predictions[0]!.label));
    // As a job's base it is loaded whole, as a GraphModel, from the store.
    const loaded = await fastify.models.loadGraph('default', record.id);
    try {
      const output = tf.tidy(() => loaded.predict(tf.zeros([2, 224, 224, 3])) as tf.Tensor);
      assert.deepEqual(output.shape, [2, 5]);
      output.dispose();
    } finally {
      loaded.dispose();
    }
  });

  it('fetches weights as TF.js does for a TF Hub URL: with model.json’s query after each path', async () => {
    server.serveFolder('hub', tiny.files);
    const before = server.requests.length;
    // The server serves the files either way: what is checked is what was asked of it.
    const record = await imported({ url: `${server.base}/hub/model.json?tfjs-format=file` });
    assert.deepEqual(server.requests.slice(before), [
      '/hub/model.json?tfjs-format=file',
      '/hub/group1-shard1of1.bin?tfjs-format=file',
    ]);
    assert.equal(record.origin?.url, `${server.base}/hub/model.json?tfjs-format=file`);
  });

  it('holds an import to the sha256 it is pinned to', async () => {
    const url = `${server.base}/tiny/model.json`;
    const pinned = await imported({ url, sha256: digestOf(tiny).toUpperCase() });
    assert.equal(pinned.origin?.sha256, digestOf(tiny));
    const wrong = 'ab'.repeat(32);
    const problem = assertProblem(await importModel({ url, sha256: wrong }), 422, 'checksum_mismatch');
    assert.equal(problem.field, '/body/sha256');
    assert.equal(problem.expected, wrong);
    assert.equal(problem.actual, digestOf(tiny));
  });

  it('lists the catalogue of bases, resolved under BASE_MIRROR_URL', async () => {
    const response = await fastify.inject({ url: '/v1/bases' });
    assert.equal(response.statusCode, 200, response.body);
    const { items } = response.json<{ items: Array<Record<string, unknown>> }>();
    const ids = items.map((base) => base.id);
    for (const id of [
      'mobilenet-v1-0.25-224',
      'mobilenet-v1-0.50-224',
      'mobilenet-v1-1.00-224',
      'mobilenet-v2-0.35-224-no-top',
      'mobilenet-v2-0.50-224-no-top',
      'mobilenet-v2-0.75-224-no-top',
      'mobilenet-v2-1.00-224-no-top',
      'mobilenet-v3-small-100-224-features',
      'mobilenet-v3-large-100-224-features',
      'efficientnet-lite0-features',
    ])
      assert.ok(ids.includes(id), `${id} is not in the catalogue`);
    const v2 = items.find((base) => base.id === MIRRORED_BASE)!;
    assert.equal(v2.url, `${server.base}/mirror/${MIRRORED_BASE}/model.json`);
    assert.deepEqual(v2.preprocessing, { scale: 1 / 127.5, offset: -1 });
    assert.equal(v2.defaultCutLayer, 'out_relu');
    assert.equal(v2.format, 'layers-model');
    assert.equal(items.find((base) => base.id === 'efficientnet-lite0-features')!.format, 'graph-model');
    for (const base of items) assert.equal(typeof base.licence, 'string');
  });

  it('imports a catalogue base by id from the mirror, with the catalogue’s preprocessing and cut', async () => {
    const record = await imported({ base: MIRRORED_BASE });
    assert.equal(record.origin?.base, MIRRORED_BASE);
    assert.equal(record.origin?.url, `${server.base}/mirror/${MIRRORED_BASE}/model.json`);
    assert.deepEqual(record.preprocessing, { pixels: { scale: 1 / 127.5, offset: -1 } });
    assert.equal(record.defaultCutLayer, 'out_relu');
    assertProblem(await importModel({ base: 'no-such-base' }), 400, 'validation_failed');
    const both = assertProblem(
      await importModel({ base: MIRRORED_BASE, url: server.base }),
      400,
      'validation_failed',
    );
    assert.equal(both.field, '/body/url');
  });

  it('takes GraphModels in multipart uploads too', async () => {
    const { payload, contentType } = multipartBody(
      [...graph.files].map(([name, data]) => ({ name: 'file', filename: name, data })),
    );
    const response = await fastify.inject({
      method: 'POST',
      url: '/v1/models',
      headers: { 'content-type': contentType },
      payload,
    });
    assert.equal(response.statusCode, 201, response.body);
    const record = response.json<ModelRecord>();
    assert.equal(record.format, 'graph-model');
    assert.equal(record.source, 'upload');
    assert.equal(record.origin, undefined);
  });

  it('takes a job on a GraphModel base whole and frozen, and refuses one that would cut or unfreeze it', async () => {
    const base = await imported({ url: `${server.base}/tiny/model.json` });
    const dataset = await uploadCsv(fastify, digitsCsv({ perClass: 5 }), 'digits');
    const submit = (extra: object) =>
      fastify.inject({
        method: 'POST',
        url: '/v1/jobs',
        payload: { dataset: dataset.id, baseModel: base.id, hyperparameters: { epochs: 1 }, ...extra },
      });
    const refusals: Array<[object, string]> = [
      [{ hyperparameters: { epochs: 1, fineTune: { epochs: 1 } } }, '/hyperparameters/fineTune'],
      [{ transfer: { freeze: 'none' } }, '/transfer/freeze'],
      [{ transfer: { freeze: 2 } }, '/transfer/freeze'],
      [{ transfer: { cutLayer: 'logits' } }, '/transfer/cutLayer'],
    ];
    for (const [extra, field] of refusals) {
      const problem = assertProblem(await submit(extra), 422, 'invalid_job');
      assert.equal(problem.field, field);
    }
    // Frozen and whole, it is a feature extractor the head trains on (test/graph-base.test.ts runs one).
    const accepted = await submit({});
    assert.equal(accepted.statusCode, 201, accepted.body);
  });
});
