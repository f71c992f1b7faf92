import { createRequire } from 'node:module';
import path from 'node:path';
import type { ModelJson } from '../../src/models/model-store.js';

const require = createRequire(import.meta.url);

/**
 * The pretrained models the nsfwjs package (MIT) ships, which it wraps as JS modules: `model.min.js` exports the
 * model.json object and each `<shard>.min.js` a weight file's bytes as base64.
 * - `mobilenet_v2`: a Keras MobileNet v2 LayersModel, 224×224×3 in, 5 classes out, weights quantized to uint8;
 * - `mobilenet_v2_mid`: a GraphModel of the same kind, in two weight shards.
 */
export type NsfwjsModel = 'mobilenet_v2' | 'mobilenet_v2_mid';

/** A model as files to serve or upload: model.json's object, and its weight files by the names it gives them. */
export interface UnwrappedModel {
  modelJson: ModelJson;
  files: Map<string, Buffer>;
}

/** One of the package's models, unwrapped into model.json and its weight files. */
export function nsfwjsModel(name: NsfwjsModel): UnwrappedModel {
  // The package exports only its entry points: its model folders are found beside them.
  const folder = path.join(path.dirname(require.resolve('nsfwjs')), '..', 'models', name);
  const modelJson = structuredClone(require(`${folder}/model.min.js`) as ModelJson);
  const files = new Map<string, Buffer>([['model.json', Buffer.from(JSON.stringify(modelJson))]]);
  for (const group of modelJson.weightsManifest) {
    for (const path of group.paths) {
      const base64 = require(`${folder}/${path}.min.js`) as unknown;
      if (typeof base64 !== 'string') throw new Error(`${folder}/${path}.min.js does not export a string`);
      files.set(path, Buffer.from(base64, 'base64'));
    }
  }
  return { modelJson, files };
}
