import type { ModelJson } from '../../src/models/model-store.js';
import type { PixelScaling } from '../../src/models/preprocessing.js';
import { multipartBody } from './multipart.js';
import { nsfwjsModel, type UnwrappedModel } from './nsfwjs-models.js';

/** The input scaling the Keras MobileNet v2 was trained with: x / 127.5 - 1. */
export const MOBILENET_PIXELS: PixelScaling = { scale: 1 / 127.5, offset: -1 };

/** Where the base is cut: the last convolution's ReLU, 7×7×1280, below the pooling and the classifier. */
export const MOBILENET_CUT = 'out_relu';

const BYTES: Record<string, number> = { float32: 4, int32: 4, uint8: 1, uint16: 2, float16: 2 };

interface KerasLayer {
  name: string;
  class_name: string;
  config: { name: string };
  inbound_nodes: unknown[];
}

/**
 * The nsfwjs package's real MobileNet v2 (Keras, 224×224×3, uint8-quantized weights) without its top, as
 * `include_top=False` gives it: the layers up to `out_relu` (its output, a 7×7×1280 feature map), the weights of
 * the dropped pooling and Dense layers taken out of the shard, and its pixel scaling in
 * `userDefinedMetadata.finetuned`, which the upload route stores as the model's preprocessing.
 */
export function mobileNetV2NoTop(): UnwrappedModel {
  const { modelJson, files } = nsfwjsModel('mobilenet_v2');
  const topology = structuredClone(modelJson.modelTopology) as {
    model_config: { config: { layers: KerasLayer[]; output_layers: unknown[] } };
    training_config?: unknown;
  };
  const config = topology.model_config.config;
  const cut = config.layers.findIndex((layer) => layer.name === MOBILENET_CUT);
  if (cut < 0) throw new Error(`the packaged MobileNet v2 has no layer '${MOBILENET_CUT}'`);
  const kept = new Set(config.layers.slice(0, cut + 1).map((layer) => layer.name));
  config.layers = config.layers.slice(0, cut + 1);
  config.output_layers = [[MOBILENET_CUT, 0, 0]];
  // Its training configuration names the outputs that are gone; a base is compiled by each job anew.
  delete topology.training_config;

  const group = modelJson.weightsManifest[0]!;
  const shard = files.get(group.paths[0]!)!;
  const weights: typeof group.weights = [];
  const parts: Buffer[] = [];
  let offset = 0;
  for (const spec of group.weights) {
    const bytes = spec.shape.reduce((n, d) => n * d, 1) * BYTES[spec.quantization?.dtype ?? spec.dtype]!;
    if (kept.has(spec.name.split('/')[0]!)) {
      weights.push(spec);
      parts.push(shard.subarray(offset, offset + bytes));
    }
    offset += bytes;
  }
  if (offset !== shard.byteLength) throw new Error('the packaged shard does not hold what its manifest says');
  const json: ModelJson = {
    modelTopology: topology,
    format: 'layers-model',
    weightsManifest: [{ paths: ['group1-shard1of1'], weights }],
    userDefinedMetadata: { finetuned: { labels: null, preprocessing: { pixels: MOBILENET_PIXELS } } },
  };
  return {
    modelJson: json,
    files: new Map([
      ['model.json', Buffer.from(JSON.stringify(json))],
      ['group1-shard1of1', Buffer.concat(parts)],
    ]),
  };
}

/** The multipart upload of an unwrapped model: each of its files, model.json first. */
export function unwrappedUpload(model: UnwrappedModel, name: string) {
  return multipartBody([
    ...[...model.files].map(([file, data]) => ({ name: file, filename: file, data })),
    { name: 'name', data: name },
  ]);
}
