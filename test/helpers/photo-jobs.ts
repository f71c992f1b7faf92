import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import sharp from 'sharp';
import type { Dataset } from '../../src/datasets/dataset-store.js';
import type { PixelScaling } from '../../src/models/preprocessing.js';
import { fashionImages, zipOf, type ArchiveFile } from './archives.js';
import { TEST_AUTHORIZATION } from './env.js';

/** A served prediction of one photo. */
export interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

/** The fixture's photos of `classes`: the first `perClass` of each to train on, and the next one of each held out. */
export async function photoSplit(
  classes: string[],
  perClass: number,
): Promise<{ training: ArchiveFile[]; heldOut: ArchiveFile[] }> {
  const photos = await fashionImages();
  const byClass = classes.map((label) => photos.filter((file) => file.name.startsWith(`${label}/`)));
  return {
    training: byClass.flatMap((list) => list.slice(0, perClass)),
    heldOut: byClass.map((list) => list[perClass]!),
  };
}

/** Uploads photos as a zip of class folders to a listening API; the dataset's record. */
export async function uploadPhotos(base: string, photos: ArchiveFile[], name = 'photos'): Promise<Dataset> {
  const uploaded = await fetch(`${base}/v1/datasets?name=${name}`, {
    method: 'POST',
    headers: { authorization: TEST_AUTHORIZATION, 'content-type': 'application/zip' },
    body: zipOf(photos),
  });
  assert.equal(uploaded.status, 201, await uploaded.clone().text());
  return (await uploaded.json()) as Dataset;
}

/** Each photo sent as it is, as a raw image body, to the model's predict: its top prediction. */
export async function predictPhotos(
  base: string,
  modelId: string,
  photos: ArchiveFile[],
): Promise<Prediction[]> {
  const served: Prediction[] = [];
  for (const photo of photos) {
    const response = await fetch(`${base}/v1/models/${modelId}/predict?topK=2`, {
      method: 'POST',
      headers: { authorization: TEST_AUTHORIZATION, 'content-type': 'image/png' },
      body: photo.data,
    });
    assert.equal(response.status, 200, await response.clone().text());
    served.push(((await response.json()) as { predictions: Prediction[] }).predictions[0]!);
  }
  return served;
}

/**
 * Checks that a TF.js program, resizing each photo to 224×224 RGB and scaling it by `pixels`, gets from `scoresOf`
 * the scores the service served for it, within 1e-3.
 */
export async function assertSameScores(
  photos: ArchiveFile[],
  served: Prediction[],
  {
    classes,
    pixels,
    scoresOf,
  }: { classes: string[]; pixels: PixelScaling; scoresOf: (x: tf.Tensor) => tf.Tensor },
): Promise<void> {
  for (const [i, photo] of photos.entries()) {
    const rgb = await sharp(photo.data).toColourspace('srgb').resize(224, 224).raw().toBuffer();
    const scores = tf.tidy(() => {
      const input = tf.tensor(rgb, [1, 224, 224, 3], 'float32').mul(pixels.scale).add(pixels.offset);
      return Array.from(scoresOf(input).dataSync());
    });
    for (const { label, score } of served[i]!.top)
      assert.ok(
        Math.abs(score - scores[classes.indexOf(label)]!) < 1e-3,
        `${label}: ${score} served, ${scores.join(', ')} loaded`,
      );
  }
}
