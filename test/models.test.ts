import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitRows } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { multipartBody } from './helpers/multipart.js';
import { modelUpload, saveModel, sha256, smallCnn, smallMlp, type SavedModel } from './helpers/tf-model.js';

const DIGIT_NAMES = ['zero', 'one', 'two', 'three', 'four', 'five', 'six', 'seven', 'eight', 'nine'];
const MISSING_ID = 'mdl_01hzzzzzzzzzzzzzzzzzzzzzzz';

interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

/** Nests a flat row of 64 pixels as [8][8][1]. */
const asImage = (pixels: number[]) =>
  Array.from({ length: 8 }, (_, r) => Array.from({ length: 8 }, (_, c) => [pixels[r * 8 + c]!]));

describe('models API', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let cnn: tf.LayersModel;
  let saved: SavedModel;
  let record: ModelRecord;
  let unlabelled: ModelRecord;

  const post = (body: { payload: Buffer; contentType: string }) =>
    fastify.inject({
      method: 'POST',
      url: '/v1/models',
      headers: { 'content-type': body.contentType },
      payload: body.payload,
    });

  /** The saved CNN with its model.json changed by `edit`. */
  const tampered = (edit: (json: SavedModel['json']) => void) => {
    const json = structuredClone(saved.json);
    edit(json);
    return JSON.stringify(json);
  };

  before(async () => {
    env = await createTestEnv('models');
    fastify = await buildApp(env.config);
    cnn = smallCnn();
    saved = await saveModel(cnn);
  });

  after(async () => {
    cnn?.dispose();
    await fastify?.close();
    await env?.cleanup();
  });

  it('uploads model.json and weights.bin as multipart and describes the model', async () => {
    const response = await post(
      modelUpload(saved, [
        { name: 'name', data: 'small cnn' },
        { name: 'labels', data: JSON.stringify(DIGIT_NAMES) },
      ]),
    );
    assert.equal(response.statusCode, 201, response.body);
    record = response.json<ModelRecord>();
    assert.match(record.id, /^mdl_[0-9a-z]{26}$/);
    assert.equal(response.headers.location, `/v1/models/${record.id}`);
    assert.equal(record.name, 'small cnn');
    assert.equal(record.source, 'upload');
    assert.deepEqual(record.inputShape, [8, 8, 1]);
    assert.deepEqual(record.labels, DIGIT_NAMES);
    assert.deepEqual(
      record.layers.map((l) => [l.name, l.className, l.outputShape, l.params]),
      [
        ['conv', 'Conv2D', [null, 6, 6, 4], 3 * 3 * 4 + 4],
        ['flat', 'Flatten', [null, 144], 0],
        ['out', 'Dense', [null, 10], 144 * 10 + 10],
      ],
    );
    assert.equal(record.defaultCutLayer, 'flat');
    assert.equal(record.preprocessing, null);
    assert.deepEqual(record.files, ['model.json', 'weights.bin']);
    assert.equal(record.sizeBytes, Buffer.byteLength(JSON.stringify(saved.json)) + saved.weights.byteLength);
    assert.equal(saved.weights.byteLength, (3 * 3 * 4 + 4 + 144 * 10 + 10) * 4);
    assert.deepEqual(record.lineage, {
      jobId: null,
      baseModelId: null,
      datasetId: null,
      datasetSha256: null,
    });
  });

  it('lists models newest first and gets one by id', async () => {
    const mlp = smallMlp(64, 3);
    const second = await post(modelUpload(await saveModel(mlp)));
    mlp.dispose();
    assert.equal(second.statusCode, 201, second.body);
    const other = (unlabelled = second.json<ModelRecord>());
    assert.equal(other.name, 'uploaded model');
    assert.equal(other.labels, null);
    assert.deepEqual(other.inputShape, [64]);
    assert.equal(other.defaultCutLayer, 'hidden');

    const list = await fastify.inject({ method: 'GET', url: '/v1/models' });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(
      list.json<{ items: ModelRecord[] }>().items.map((m) => m.id),
      [other.id, record.id],
    );
    const got = await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}` });
    assert.equal(got.statusCode, 200);
    assert.deepEqual(got.json(), record);
  });

  it('serves model.json and weights.bin byte for byte as uploaded', async () => {
    const json = await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}/model.json` });
    assert.equal(json.statusCode, 200);
    assert.match(String(json.headers['content-type']), /^application\/json/);
    assert.equal(sha256(json.rawPayload), sha256(JSON.stringify(saved.json)));
    assert.deepEqual(json.json<{ weightsManifest: unknown }>().weightsManifest, saved.json.weightsManifest);

    const weights = await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}/weights.bin` });
    assert.equal(weights.statusCode, 200);
    assert.equal(weights.headers['content-type'], 'application/octet-stream');
    assert.match(String(weights.headers['cache-control']), /immutable/);
    assert.equal(weights.rawPayload.byteLength, saved.weights.byteLength);
    assert.equal(sha256(weights.rawPayload), sha256(saved.weights));

    const missing = assertProblem(
      await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}/meta.json` }),
      404,
      'file_not_found',
    );
    assert.equal(missing.file, 'meta.json');
    assertProblem(
      await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}/..%2Fmeta.json` }),
      400,
      'validation_failed',
    );
  });

  describe('predict', () => {
    const rows = digitRows({ perClass: 1 }).slice(0, 4);

    const predict = (instances: unknown[], topK?: number, id = record.id) =>
      fastify.inject({
        method: 'POST',
        url: `/v1/models/${id}/predict`,
        payload: topK === undefined ? { instances } : { instances, topK },
      });

    it('reshapes flat rows to the input shape [8, 8, 1] and ranks the scores the model gives', async () => {
      const response = await predict(
        rows.map((row) => row.pixels),
        10,
      );
      assert.equal(response.statusCode, 200, response.body);
      assert.equal(response.headers['x-model-id'], record.id);
      const { modelId, predictions } = response.json<{ modelId: string; predictions: Prediction[] }>();
      assert.equal(modelId, record.id);
      assert.equal(predictions.length, 4);

      // An uploaded model has no preprocessing: the service feeds the pixels as they are.
      const expected = tf.tidy(
        () =>
          (
            cnn.predict(
              tf.tensor(
                rows.flatMap((row) => row.pixels),
                [4, 8, 8, 1],
              ),
            ) as tf.Tensor
          ).arraySync() as number[][],
      );
      predictions.forEach((prediction, i) => {
        const scores = expected[i]!;
        const best = scores.indexOf(Math.max(...scores));
        assert.equal(prediction.label, DIGIT_NAMES[best]);
        assert.ok(Math.abs(prediction.score - scores[best]!) < 1e-5);
        assert.equal(prediction.top.length, 10);
        assert.deepEqual(prediction.top[0], { label: prediction.label, score: prediction.score });
        for (const entry of prediction.top) {
          assert.ok(Math.abs(entry.score - scores[DIGIT_NAMES.indexOf(entry.label)]!) < 1e-5);
        }
        const ordered = prediction.top.map((t) => t.score);
        assert.deepEqual(
          ordered,
          [...ordered].sort((a, b) => b - a),
        );
      });
    });

    it('gives the same answer for rows nested in the input shape, and 3 labels by default', async () => {
      const flat = (await predict(rows.map((row) => row.pixels))).json<{ predictions: Prediction[] }>();
      const nested = await predict(rows.map((row) => asImage(row.pixels)));
      assert.equal(nested.statusCode, 200, nested.body);
      const { predictions } = nested.json<{ predictions: Prediction[] }>();
      assert.deepEqual(predictions, flat.predictions);
      assert.equal(predictions[0]!.top.length, 3);
    });

    it('a row of the wrong size is a 422 naming the expected shape', async () => {
      const short = assertProblem(
        await predict([rows[0]!.pixels, rows[1]!.pixels.slice(0, 63)]),
        422,
        'invalid_instance',
      );
      assert.deepEqual(short.expectedShape, [8, 8, 1]);
      assert.equal(short.field, '/instances/1');
      assert.match(
        short.detail,
        /^instances\[1\]: .*expected shape \[8, 8, 1\] or a flat row of 64 numbers$/,
      );

      const image = asImage(rows[0]!.pixels);
      image[3]!.pop();
      const nested = assertProblem(await predict([image]), 422, 'invalid_instance');
      assert.deepEqual(nested.expectedShape, [8, 8, 1]);
      assert.match(nested.detail, /dimension 1 has length 7/);

      const text = assertProblem(
        await predict([[...rows[0]!.pixels.slice(0, 63), 'x']]),
        422,
        'invalid_instance',
      );
      assert.match(text.detail, /"x" at position 63 is not a finite number/);
      assertProblem(await predict(['not a row']), 422, 'invalid_instance');
    });

    it('an empty or malformed request is a 400 naming the field', async () => {
      const empty = assertProblem(await predict([]), 400, 'validation_failed');
      assert.equal(empty.field, '/body/instances');
      const extra = assertProblem(
        await fastify.inject({
          method: 'POST',
          url: `/v1/models/${record.id}/predict`,
          payload: { instances: [rows[0]!.pixels], temperature: 2 },
        }),
        400,
        'validation_failed',
      );
      assert.equal(extra.field, '/body/temperature');
      const topK = assertProblem(await predict([rows[0]!.pixels], 0), 400, 'validation_failed');
      assert.equal(topK.field, '/body/topK');
    });

    it('a model uploaded without labels names its classes by output index', async () => {
      const response = await predict([rows[0]!.pixels], 5, unlabelled.id);
      assert.equal(response.statusCode, 200, response.body);
      const [prediction] = response.json<{ predictions: Prediction[] }>().predictions;
      assert.deepEqual(prediction!.top.map((t) => t.label).sort(), ['0', '1', '2']);
      const nested = assertProblem(
        await predict([asImage(rows[0]!.pixels)], 3, unlabelled.id),
        422,
        'invalid_instance',
      );
      assert.deepEqual(nested.expectedShape, [64]);
    });

    it('an unknown model is a 404', async () => {
      const problem = assertProblem(await predict([rows[0]!.pixels], 3, MISSING_ID), 404, 'model_not_found');
      assert.equal(problem.modelId, MISSING_ID);
    });
  });

  describe('invalid uploads', () => {
    it('a weight path that climbs out with ../ is a 400 naming it', async () => {
      const json = tampered((j) => (j.weightsManifest[0]!.paths = ['../weights.bin']));
      const problem = assertProblem(await post(modelUpload(saved, [], json)), 400, 'invalid_model');
      assert.equal(problem.file, '../weights.bin');
      assert.match(problem.detail, /weight paths must be plain file names/);
    });

    it('a weight path with a / is a 400 naming it', async () => {
      for (const path of ['weights/weights.bin', '/etc/passwd']) {
        const json = tampered((j) => (j.weightsManifest[0]!.paths = [path]));
        const problem = assertProblem(await post(modelUpload(saved, [], json)), 400, 'invalid_model');
        assert.equal(problem.file, path);
      }
    });

    it('a weight file of the wrong size is a 400 giving both sizes', async () => {
      const short = { ...saved, weights: saved.weights.subarray(0, saved.weights.byteLength - 4) };
      const problem = assertProblem(await post(modelUpload(short)), 400, 'invalid_model');
      assert.equal(problem.file, 'weights.bin');
      assert.equal(
        problem.detail,
        `weightsManifest[0] describes ${saved.weights.byteLength} bytes of weights but its files [weights.bin] hold ${saved.weights.byteLength - 4}`,
      );
    });

    it('an unknown layer class is a 422 naming the class', async () => {
      const json = tampered((j) => {
        const topology = j.modelTopology as { config: { layers: Array<{ class_name: string }> } };
        assert.equal(topology.config.layers[1]!.class_name, 'Flatten');
        topology.config.layers[1]!.class_name = 'EvilLambda';
      });
      const problem = assertProblem(await post(modelUpload(saved, [], json)), 422, 'unknown_layer_class');
      assert.equal(problem.className, 'EvilLambda');
      assert.equal(problem.file, 'model.json');
    });

    it('malformed weight entries, deep nesting, __proto__ keys and inherited class names are refused', async () => {
      const noShape = tampered((j) => {
        (j.weightsManifest[0]!.weights as unknown[])[0] = { name: 'x', dtype: 'float32' };
      });
      const shapeless = assertProblem(await post(modelUpload(saved, [], noShape)), 400, 'invalid_model');
      assert.equal(
        shapeless.detail,
        'weightsManifest[0].weights[0] must be {name, shape: [non-negative integers], dtype}',
      );

      const nullEntry = tampered((j) => {
        (j.weightsManifest[0]!.weights as unknown[])[0] = null;
      });
      assertProblem(await post(modelUpload(saved, [], nullEntry)), 400, 'invalid_model');

      const deep = `${'['.repeat(5000)}1${']'.repeat(5000)}`;
      const nested = JSON.stringify(saved.json).replace(
        '"modelTopology":{',
        `"modelTopology":{"extra":${deep},`,
      );
      assert.notEqual(nested, JSON.stringify(saved.json));
      const tooDeep = assertProblem(await post(modelUpload(saved, [], nested)), 400, 'invalid_model');
      assert.match(tooDeep.detail, /^model\.json nests deeper than 64 levels/);

      const proto = JSON.stringify(saved.json).replace('{', '{"__proto__":{"polluted":true},');
      assertProblem(await post(modelUpload(saved, [], proto)), 400, 'invalid_model');
      assert.equal(({} as Record<string, unknown>).polluted, undefined);

      const inherited = tampered((j) => {
        const topology = j.modelTopology as { config: { layers: Array<{ class_name: string }> } };
        topology.config.layers[1]!.class_name = 'constructor';
      });
      const problem = assertProblem(
        await post(modelUpload(saved, [], inherited)),
        422,
        'unknown_layer_class',
      );
      assert.equal(problem.className, 'constructor');
    });

    it('an upload without model.json, or with a file it does not name, is a 400', async () => {
      const noJson = multipartBody([{ name: 'weights', filename: 'weights.bin', data: saved.weights }]);
      const missing = assertProblem(await post(noJson), 400, 'invalid_model');
      assert.equal(missing.file, 'model.json');

      const extra = modelUpload(saved, [{ name: 'more', filename: 'extra.bin', data: Buffer.alloc(8) }]);
      const stray = assertProblem(await post(extra), 400, 'invalid_model');
      assert.equal(stray.file, 'extra.bin');

      const unnamed = multipartBody([
        { name: 'model', filename: 'model.json', data: JSON.stringify(saved.json) },
      ]);
      const absent = assertProblem(await post(unnamed), 400, 'invalid_model');
      assert.equal(absent.file, 'weights.bin');
    });

    it('labels that do not match the outputs are a 400 naming the field', async () => {
      const problem = assertProblem(
        await post(modelUpload(saved, [{ name: 'labels', data: '["a","b"]' }])),
        400,
        'invalid_model',
      );
      assert.equal(problem.field, 'labels');
      assert.equal(problem.detail, "'labels' has 2 entries but the model outputs 10 values");
      assertProblem(await post(modelUpload(saved, [{ name: 'labels', data: 'a,b' }])), 400, 'invalid_model');
    });

    it('a body that is not multipart is a 415', async () => {
      const response = await fastify.inject({
        method: 'POST',
        url: '/v1/models',
        payload: { modelTopology: {} },
      });
      assertProblem(response, 415, 'unsupported_media_type');
    });

    it('nothing was stored by the failed uploads', async () => {
      const list = (await fastify.inject({ method: 'GET', url: '/v1/models' })).json<{
        items: ModelRecord[];
      }>();
      assert.equal(list.items.length, 2);
    });
  });

  it('deletes a model: 204, then its record, files and predictions are 404', async () => {
    const deleted = await fastify.inject({ method: 'DELETE', url: `/v1/models/${record.id}` });
    assert.equal(deleted.statusCode, 204);
    assertProblem(
      await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}` }),
      404,
      'model_not_found',
    );
    assertProblem(
      await fastify.inject({ method: 'GET', url: `/v1/models/${record.id}/model.json` }),
      404,
      'model_not_found',
    );
    assertProblem(
      await fastify.inject({
        method: 'POST',
        url: `/v1/models/${record.id}/predict`,
        payload: { instances: [new Array(64).fill(0)] },
      }),
      404,
      'model_not_found',
    );
    assertProblem(
      await fastify.inject({ method: 'DELETE', url: `/v1/models/${record.id}` }),
      404,
      'model_not_found',
    );
    // Not a model id, so an alias name: there is no such alias. A name no alias can have is a 400.
    assertProblem(
      await fastify.inject({ method: 'GET', url: '/v1/models/ds_01hzzzzzzzzzzzzzzzzzzzzzzz' }),
      404,
      'alias_not_found',
    );
    assertProblem(
      await fastify.inject({ method: 'GET', url: '/v1/models/.hidden' }),
      400,
      'validation_failed',
    );
  });
});
