import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import sharp from 'sharp';
import { decodeInstances } from '../src/inference/image-instances.js';
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
/** PREDICT_IMAGE_MAX_BYTES here: far above the photos, far below what the tests of it send. */
const IMAGE_BYTES = 256 * 1024;

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
    env = await createTestEnv('image-predict', {
      MAX_EVENT_LOOP_DELAY_MS: 60_000,
      PREDICT_IMAGE_MAX_BYTES: IMAGE_BYTES,
    });
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

  it('multipart images are held to PREDICT_IMAGE_MAX_BYTES together; image/* bodies are for predict alone', async () => {
    const third = Buffer.alloc(Math.ceil(IMAGE_BYTES / 3) + 1, 7);
    const files = (...data: Buffer[]) =>
      multipartBody(data.map((file, i) => ({ name: 'image', filename: `${i}.png`, data: file })));
    for (const { payload, contentType } of [
      files(third, third, third),
      files(Buffer.concat([third, third, third])),
    ]) {
      const response = await predict(payload, { 'content-type': contentType });
      assert.match(assertProblem(response, 413, 'body_too_large').detail, /PREDICT_IMAGE_MAX_BYTES/);
    }
    const within = files(...PHOTOS.map(({ png }) => png));
    assert.equal((await predict(within.payload, { 'content-type': within.contentType })).statusCode, 200);
    // The raw image parser is the predict route's: another route of models refuses the body unread.
    const elsewhere = await fastify.inject({
      method: 'POST',
      url: '/v1/models/import',
      headers: { 'content-type': 'image/png' },
      payload: PHOTOS[0]!.png,
    });
    assertProblem(elsewhere, 415, 'unsupported_media_type');
  });

  it('images are held to what they decode to for the model: fewer a request for a large input', async () => {
    // 1024×1024×3 float32 is 12 MiB an image: five fit within the bound, six do not.
    const large = tf.sequential({
      layers: [
        tf.layers.conv2d({ inputShape: [1024, 1024, 3], filters: 1, kernelSize: 1 }),
        tf.layers.globalAveragePooling2d({}),
        tf.layers.dense({ units: 2, activation: 'softmax' }),
      ],
    });
    const wide = await postModel(fastify, modelUpload(await saveModel(large)));
    large.dispose();
    const send = (count: number) =>
      fastify.inject({
        method: 'POST',
        url: `/v1/models/${wide.id}/predict`,
        payload: { images: Array.from({ length: count }, () => PHOTOS[0]!.png.toString('base64')) },
      });
    const refused = assertProblem(await send(6), 413, 'body_too_large');
    assert.equal(refused.maxImages, 5);
    assert.match(refused.detail, /\[1024, 1024, 3\]/);
    const one = await send(1);
    assert.equal(one.statusCode, 200, one.body);
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

describe('decoding the images of requests on one host', () => {
  it('a request that comes after one with many images takes turns with it, not waits for all of them', async () => {
    const noise = { type: 'gaussian' as const, mean: 128, sigma: 40 };
    const big = await sharp({ create: { width: 1600, height: 1600, channels: 3, noise, background: '#000' } })
      .jpeg({ quality: 90 })
      .toBuffer();
    const small = PHOTOS[0]!.png;
    const target = { height: 224, width: 224, channels: 3 as const, fit: 'cover' as const };
    const decode = (images: Buffer[], id: number) =>
      decodeInstances({
        type: 'decode',
        id,
        images: images.map((image) => new Uint8Array(image)),
        target: { ...target, maxFileBytes: 32 * 2 ** 20, maxPixels: 25_000_000 },
        preprocessing: null,
      });
    const started = performance.now();
    const many = decode(Array<Buffer>(32).fill(big), 1).then(() => performance.now() - started);
    const one = decode([small], 2).then(() => performance.now() - started);
    const [manyTook, oneTook] = await Promise.all([many, one]);
    // Taking turns, the one image is done after a few of the 32, long before the last of them.
    assert.ok(oneTook < manyTook / 2, `one image after ${oneTook} ms, 32 after ${manyTook} ms`);
  });
});
