import * as tf from '@tensorflow/tfjs';
import { createHash } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import type { ModelJson, ModelRecord } from '../../src/models/model-store.js';
import { multipartBody, type Part } from './multipart.js';

export const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** A model saved the way TF.js saves one: model.json text and one weights.bin. */
export interface SavedModel {
  json: ModelJson;
  weights: Buffer;
}

/** Saves a model through `tf.io.withSaveHandler`, as a browser or Node client would before uploading it. */
export async function saveModel(model: tf.LayersModel): Promise<SavedModel> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
    }),
  );
  if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('the model saved no weights');
  return {
    json: {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format,
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
    },
    weights: Buffer.from(tf.io.CompositeArrayBuffer.join(artifacts.weightData)),
  };
}

/** The multipart upload of a saved model; `extra` adds fields (name, labels) or replaces nothing. */
export function modelUpload(saved: SavedModel, extra: Part[] = [], modelJson = JSON.stringify(saved.json)) {
  return multipartBody([
    { name: 'model', filename: 'model.json', data: modelJson },
    { name: 'weights', filename: 'weights.bin', data: saved.weights },
    ...extra,
  ]);
}

/** POSTs a model upload (as {@link modelUpload} makes it) and returns the stored record; anything but 201 fails. */
export async function postModel(
  app: FastifyInstance,
  body: { payload: Buffer; contentType: string },
  headers: Record<string, string> = {},
): Promise<ModelRecord> {
  const response = await app.inject({
    method: 'POST',
    url: '/v1/models',
    headers: { ...headers, 'content-type': body.contentType },
    payload: body.payload,
  });
  assert.equal(response.statusCode, 201, response.body);
  return response.json<ModelRecord>();
}

/** A small CNN on 8×8×1 images with 10 outputs, seeded so its weights are the same every run. */
export function smallCnn(): tf.LayersModel {
  const seed = (n: number) => tf.initializers.glorotUniform({ seed: n });
  return tf.sequential({
    name: 'small_cnn',
    layers: [
      tf.layers.conv2d({
        inputShape: [8, 8, 1],
        filters: 4,
        kernelSize: 3,
        activation: 'relu',
        name: 'conv',
        kernelInitializer: seed(1),
      }),
      tf.layers.flatten({ name: 'flat' }),
      tf.layers.dense({ units: 10, activation: 'softmax', name: 'out', kernelInitializer: seed(2) }),
    ],
  });
}

/** A dense model taking `inputs` values, for shape checks against datasets. */
export function smallMlp(inputs: number, outputs = 3): tf.LayersModel {
  return tf.sequential({
    name: 'small_mlp',
    layers: [
      tf.layers.dense({ inputShape: [inputs], units: 8, activation: 'relu', name: 'hidden' }),
      tf.layers.dense({ units: outputs, activation: 'softmax', name: 'out' }),
    ],
  });
}

/** Loads a model from the files `ModelStore.serialize` made; a fresh copy each call. */
export function loadSerialized(files: Map<string, Uint8Array | string>): Promise<tf.LayersModel> {
  const json = JSON.parse(files.get('model.json') as string) as tf.io.ModelJSON;
  const weights = files.get('weights.bin') as Uint8Array;
  return tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0]!.weights,
      weightData: new Uint8Array(weights).buffer,
    }),
  );
}
