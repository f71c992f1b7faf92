import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import type { ModelRecord } from '../src/models/model-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { pngDeclaring } from './helpers/images.js';
import { multipartBody } from './helpers/multipart.js';
import { modelUpload, postModel, saveModel } from './helpers/tf-model.js';

const FASHION = fileURLToPath(new URL('../datasets/fashion-mnist/', import.meta.url));
const CLASSES = ['bag', 'sneaker', 'trouser'];
/** Real Fashion-MNIST photos: two of each of three classes, as the PNG files they are. */
const PHOTOS = CLASSES.flatMap((label) =>
  readdirSync(`${FASHION}${label}`)
    .slice(0, 2)
    .map((file) => ({ label, png: readFileSync(`${FASHION}${label}/${file}`) })),
);
const PIXELS = { scale: 1 / 255, offset: 0 };

interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

/** A small seeded CNN on 28×28×1 pictures with three outputs. */
function pictureModel(): tf.LayersModel {
  const seed = (n: number) => tf.initializers.glorotUniform({ seed: n });
  return tf.sequential({
    layers: [
      tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 4, kernelSize: 3, kernelInitializer: seed(1) }),
      tf.layers.globalAveragePooling2d({}),
      tf.layers.dense({ units: 3, activation: 'softmax', kernelInitializer: seed(2) }),
    ],
  });
}

describe('predicting on images: base64 JSON, multipart and raw bodies, decoded in the inference hosts', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let model: tf.LayersModel;
  let record: ModelRecord;
  let expected: Float32Array;

  before(async () => {
    env = await createTestEnv('image-predict', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    fastify = await buildApp(env.config);
    model = pictureModel();
    const saved = await saveModel(model);
    // The pixel scaling a model trained here records, carried in its model.json.
    saved.json.userDefinedMetadata = { finetuned: { labels: CLASSES, preprocessing: { pixels: PIXELS } } };
    record = await postModel(fastify, modelUpload(saved));
    // What the model gives for each photo decoded by the real decoder and scaled, outside the service.
    const decoded = await Promise.all(
      PHOTOS.map(async ({ png }) => (await sharp(png).greyscale().raw().toBuffer()) as Buffer),
    );
    expected = tf.tidy(() => {
      const input = tf.tensor(
        decoded.flatMap((pixels) => Array.from(pixels, (v) => v * PIXELS.scale + PIXELS.offset)),
        [PHOTOS.length, 28, 28, 1],
      );
      return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
    });
  });

  after(async () => {
    model?.dispose();
    await fastify?.close();
    await env?.cleanup();
  });

  const assertScores = (predictions: Prediction[], count = PHOTOS.length) => {
    assert.equal(predictions.length, count);
    predictions.forEach((prediction, i) => {
      for (const { label, score } of prediction.top) {
        const want = expected[i * 3 + CLASSES.indexOf(label)]!;
        assert.ok(Math.abs(score - want) < 1e-5, `photo ${i} ${label}: ${score}, by hand ${want}`);
      }
    });
  };
  const predict = (payload: unknown, headers: Record<string, string> = {}, query = '') =>
    fastify.inject({
      method: 'POST',
      url: `/v1/models/${record.id}/predict${query}`,
      headers,
      payload: payload as string,
    });

  it('takes base64 images in JSON (data: URLs too) and gives the scores the model gives the decoded photos', async () => {
    const images = PHOTOS.map(({ png }, i) =>
      i % 2 ? `data:image/png;base64,${png.toString('base64')}` : png.toString('base64'),
    );
    const response = await predict({ images, topK: 3 });
    assert.equal(response.statusCode, 200, response.body);
    assertScores(response.json<{ predictions: Prediction[] }>().predictions);
  });

  it('takes image files as multipart, with topK as a field', async () => {
    const { payload, contentType } = multipartBody([
      ...PHOTOS.map(({ png }, i) => ({ name: 'image', filename: `${i}.png`, data: png })),
      { name: 'topK', data: '3' },
    ]);
    const response = await predict(payload, { 'content-type': contentType });
    assert.equal(response.statusCode, 200, response.body);
    assertScores(response.json<{ predictions: Prediction[] }>().predictions);
  });

  it('takes one raw image/* body, and the same photo as JPEG or WebP predicts nearly the same', async () => {
    const raw = await predict(PHOTOS[0]!.png, { 'content-type': 'image/png' }, '?topK=3');
    assert.equal(raw.statusCode, 200, raw.body);
    const [first] = raw.json<{ predictions: Prediction[] }>().predictions;
    assertScores([first!], 1);
    const webp = await sharp(PHOTOS[0]!.png).webp({ lossless: true }).toBuffer();
    const again = await predict(webp, { 'content-type': 'image/webp' }, '?topK=3');
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json<{ predictions: Prediction[] }>().predictions[0]!.label, first!.label);
  });

  it('a bad image is a 4xx naming its index; rows and images together, or a non-image model, are refused', async () => {
    const images = [PHOTOS[0]!.png.toString('base64'), Buffer.from('not a picture').toString('base64')];
    const bad = assertProblem(await predict({ images }), 400, 'invalid_image');
    assert.equal(bad.index, 1);
    assert.match(bad.detail, /images\[1\]/);
    const truncated = PHOTOS[1]!.png.subarray(0, 200).toString('base64');
    assert.equal(assertProblem(await predict({ images: [truncated] }), 400, 'invalid_image').index, 0);
    const notBase64 = assertProblem(await predict({ images: ['***'] }), 400, 'validation_failed');
    assert.equal(notBase64.index, 0);
    assertProblem(await predict({ images: [images[0]], instances: [[1]] }), 400, 'validation_failed');
    // 30000 × 30000 declared in a tiny PNG header: refused from the header, before any pixel is decoded.
    const bomb = pngDeclaring(30000, 30000);
    const tooBig = assertProblem(
      await predict(bomb, { 'content-type': 'image/png' }),
      413,
      'image_too_large',
    );
    assert.equal(tooBig.index, 0);

    const rows = await saveModel(tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] }));
    const tabular = await postModel(fastify, modelUpload(rows));
    const response = await fastify.inject({
      method: 'POST',
      url: `/v1/models/${tabular.id}/predict`,
      payload: { images },
    });
    assertProblem(response, 422, 'shape_mismatch');
    const health = await fastify.inject({ method: 'GET', url: '/health' });
    assert.equal(health.statusCode, 200);
  });

  it('offers a Teachable-Machine-style metadata.json whose labels and size a TM loader predicts with', async () => {
    const saved = await saveModel(model);
    const mobilenetScaling = { scale: 1 / 127.5, offset: -1 };
    saved.json.userDefinedMetadata = {
      finetuned: { labels: CLASSES, preprocessing: { pixels: mobilenetScaling } },
    };
    const tm = await postModel(fastify, modelUpload(saved));
    const response = await fastify.inject({ method: 'GET', url: `/v1/models/${tm.id}/metadata.json` });
    assert.equal(response.statusCode, 200, response.body);
    const metadata = response.json<{ labels: string[]; imageSize: number; packageName: string }>();
    assert.deepEqual(metadata.labels, CLASSES);
    assert.equal(metadata.imageSize, 28);
    assert.equal(metadata.packageName, '@teachablemachine/image');

    // As @teachablemachine/image predicts: the centred square of imageSize, pixels / 127 - 1, model.predict,
    // classes named by metadata.labels in output order.
    const pixels = (await sharp(PHOTOS[0]!.png).greyscale().raw().toBuffer()) as Buffer;
    const scores = tf.tidy(() => {
      const input = tf.tensor(
        Array.from(pixels, (v) => v / 127 - 1),
        [1, 28, 28, 1],
      );
      return Array.from((model.predict(input) as tf.Tensor).dataSync());
    });
    const served = await fastify.inject({
      method: 'POST',
      url: `/v1/models/${tm.id}/predict`,
      payload: { images: [PHOTOS[0]!.png.toString('base64')], topK: 3 },
    });
    const [prediction] = served.json<{ predictions: Prediction[] }>().predictions;
    for (const { label, score } of prediction!.top)
      assert.ok(Math.abs(score - scores[metadata.labels.indexOf(label)]!) < 0.01, `${label}: ${score}`);

    const rows = await saveModel(tf.sequential({ layers: [tf.layers.dense({ inputShape: [4], units: 2 })] }));
    const tabular = await postModel(fastify, modelUpload(rows));
    const none = await fastify.inject({ method: 'GET', url: `/v1/models/${tabular.id}/metadata.json` });
    assertProblem(none, 404, 'file_not_found');
  });
});
