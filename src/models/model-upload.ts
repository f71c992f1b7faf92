import * as tf from '@tensorflow/tfjs';
import secureJson from 'secure-json-parse';
import { badRequest, unprocessable } from '../errors.js';
import { checkGraphTopology } from './graph-topology.js';
import { checkModelGraph, type ModelLimits } from './model-graph.js';
import type { ModelFormat, ModelJson } from './model-store.js';
import { assertFiniteWeights } from './model-weights.js';

const DTYPE_BYTES: Record<string, number> = {
  float32: 4,
  int32: 4,
  bool: 1,
  uint8: 1,
  uint16: 2,
  float16: 2,
  string: 0,
};
const SAFE_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

/** An uploaded LayersModel or GraphModel, checked file by file before TF.js ever parses it. */
export interface ValidUpload {
  format: ModelFormat;
  json: ModelJson;
  files: Map<string, Uint8Array | string>;
  sizeBytes: number;
}

function fileError(detail: string, file: string): Error {
  return badRequest('invalid_model', detail, { file });
}

const MAX_TOPOLOGY_DEPTH = 64;

/**
 * Every `class_name` in the topology, with where it was found. The whole of model.json is walked, iteratively
 * and with a depth bound, as it is all sent on (to the probe process, to clients) by serializers that recurse.
 */
function classNames(json: ModelJson): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const stack: Array<[unknown, string, number]> = Object.entries(json).map(([key, value]) => [value, key, 0]);
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_TOPOLOGY_DEPTH)
      throw fileError(`model.json nests deeper than ${MAX_TOPOLOGY_DEPTH} levels at ${path}`, 'model.json');
    if (Array.isArray(node)) {
      node.forEach((item, i) => stack.push([item, `${path}[${i}]`, depth + 1]));
      continue;
    }
    const topology = path.startsWith('modelTopology');
    for (const [key, value] of Object.entries(node)) {
      if (topology && key === 'class_name' && typeof value === 'string') found.push([value, path]);
      else stack.push([value, `${path}.${key}`, depth + 1]);
    }
  }
  return found;
}

function weightBytes(spec: unknown, where: string): number {
  const entry = spec as Partial<tf.io.WeightsManifestEntry> | null;
  const valid =
    typeof entry === 'object' &&
    entry !== null &&
    typeof entry.name === 'string' &&
    typeof entry.dtype === 'string' &&
    Array.isArray(entry.shape) &&
    entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
  if (!valid) throw fileError(`${where} must be {name, shape: [non-negative integers], dtype}`, 'model.json');
  const count = tf.util.sizeFromShape(entry.shape!);
  const dtype = entry.quantization?.dtype ?? entry.dtype!;
  const bytes = Object.hasOwn(DTYPE_BYTES, dtype) ? DTYPE_BYTES[dtype]! : 0;
  if (bytes === 0)
    throw badRequest('invalid_model', `weight '${entry.name}' has unsupported dtype '${dtype}'`, {
      file: 'model.json',
    });
  return count * bytes;
}

/** Whether a weight path is a plain file name, as the model's folder holds it: no '/', '\\' or '..'. */
export const isPlainFileName = (path: string) =>
  SAFE_FILE.test(path) && !path.includes('..') && path !== 'model.json';

/**
 * model.json parsed (refusing `__proto__` and `constructor` keys) and shaped as a TF.js model: a LayersModel
 * (`format` 'layers-model' or none) or a GraphModel ('graph-model').
 */
export function parseModelJson(raw: Buffer): ModelJson {
  let json: ModelJson;
  try {
    json = secureJson.parse(raw.toString('utf8'), undefined, {
      protoAction: 'error',
      constructorAction: 'error',
    }) as ModelJson;
  } catch (error) {
    throw fileError(`model.json is not valid JSON: ${(error as Error).message}`, 'model.json');
  }
  if (typeof json !== 'object' || json === null)
    throw fileError('model.json must be an object', 'model.json');
  if (json.format !== undefined && json.format !== 'layers-model' && json.format !== 'graph-model') {
    throw fileError(
      `model.json has format '${String(json.format)}': only TF.js LayersModels ('layers-model') and GraphModels ('graph-model') can be used`,
      'model.json',
    );
  }
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw fileError('model.json has no modelTopology', 'model.json');
  }
  if (!Array.isArray(json.weightsManifest))
    throw fileError('model.json has no weightsManifest', 'model.json');
  return json;
}

/** Refuses a topology that names any class TF.js does not have built in. */
function checkLayerClasses(json: ModelJson): void {
  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const [className, path] of classNames(json)) {
    if (!Object.hasOwn(known, className)) {
      throw unprocessable(
        'unknown_layer_class',
        `${path} uses class '${className}', which is not a built-in TF.js class`,
        {
          file: 'model.json',
          className,
        },
      );
    }
  }
}

/** Checks one manifest group: plain uploaded file names holding exactly the bytes its weights describe. */
function checkWeightGroup(
  group: tf.io.WeightsManifestConfig[number],
  g: number,
  uploaded: Map<string, Buffer>,
  named: Set<string>,
): void {
  if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) {
    throw fileError(`weightsManifest[${g}] needs 'paths' and 'weights' arrays`, 'model.json');
  }
  let expected = 0;
  group.weights.forEach((spec, w) => (expected += weightBytes(spec, `weightsManifest[${g}].weights[${w}]`)));
  let actual = 0;
  for (const path of group.paths) {
    if (typeof path !== 'string' || !isPlainFileName(path)) {
      throw fileError(
        `weightsManifest[${g}] names '${String(path)}': weight paths must be plain file names (no '/', '\\' or '..')`,
        String(path),
      );
    }
    const file = uploaded.get(path);
    if (!file) throw fileError(`weightsManifest[${g}] names '${path}', which was not uploaded`, path);
    named.add(path);
    actual += file.byteLength;
  }
  if (actual !== expected) {
    throw fileError(
      `weightsManifest[${g}] describes ${expected} bytes of weights but its files [${group.paths.join(', ')}] hold ${actual}`,
      group.paths[0] ?? 'model.json',
    );
  }
}

/** The weight files the manifest names, each checked; every other uploaded file but model.json is refused. */
function checkWeightFiles(json: ModelJson, uploaded: Map<string, Buffer>): Set<string> {
  const named = new Set<string>();
  json.weightsManifest.forEach((group, g) => checkWeightGroup(group, g, uploaded, named));
  for (const name of uploaded.keys()) {
    if (name !== 'model.json' && !named.has(name)) {
      throw fileError(`'${name}' was uploaded but model.json does not name it`, name);
    }
  }
  return named;
}

/**
 * Validates an upload: model.json is a LayersModel or GraphModel whose manifest names exactly the uploaded weight
 * files (plain names, no paths), whose weight files have the sizes the manifest implies, and (a LayersModel) whose
 * layers are all built-in.
 */
export function validateUpload(uploaded: Map<string, Buffer>): ValidUpload {
  const raw = uploaded.get('model.json');
  if (!raw)
    throw badRequest('invalid_model', "the upload has no file named 'model.json'", { file: 'model.json' });
  const json = parseModelJson(raw);
  checkLayerClasses(json);
  const named = checkWeightFiles(json, uploaded);

  const files = new Map<string, Uint8Array | string>([['model.json', raw]]);
  let sizeBytes = raw.byteLength;
  for (const name of named) {
    const data = uploaded.get(name)!;
    files.set(name, data);
    sizeBytes += data.byteLength;
  }
  const format = json.format === 'graph-model' ? 'graph-model' : 'layers-model';
  return { format, json, files, sizeBytes };
}

/**
 * Checks what validateUpload leaves to TF.js, before TF.js builds anything: the topology as a graph (a
 * LayersModel's names, inputs, node indices, cycles, sizes, weight shapes against the manifest; a GraphModel's
 * nodes, their inputs and count) and every float weight finite.
 */
export async function checkUploadContents(upload: ValidUpload, limits: ModelLimits): Promise<void> {
  const specs = upload.json.weightsManifest.flatMap((group) => group.weights);
  if (upload.format === 'graph-model') checkGraphTopology(upload.json.modelTopology, limits, specs);
  else checkModelGraph(upload.json.modelTopology, limits, specs);
  await assertFiniteWeights(upload.json.weightsManifest, upload.files);
}
