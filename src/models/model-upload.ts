import * as tf from '@tensorflow/tfjs';
import secureJson from 'secure-json-parse';
import { badRequest, unprocessable } from '../errors.js';
import type { ModelJson } from './model-store.js';

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

/** An uploaded LayersModel, checked file by file before TF.js ever parses it. */
export interface ValidUpload {
  json: ModelJson;
  files: Map<string, Uint8Array | string>;
  sizeBytes: number;
}

function fileError(detail: string, file: string): Error {
  return badRequest('invalid_model', detail, { file });
}

const MAX_TOPOLOGY_DEPTH = 64;

/** Every `class_name` in a topology, with where it was found; walked iteratively with a depth bound. */
function classNames(topology: unknown): Array<[string, string]> {
  const found: Array<[string, string]> = [];
  const stack: Array<[unknown, string, number]> = [[topology, 'modelTopology', 0]];
  while (stack.length > 0) {
    const [node, path, depth] = stack.pop()!;
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_TOPOLOGY_DEPTH)
      throw fileError(`model.json nests deeper than ${MAX_TOPOLOGY_DEPTH} levels at ${path}`, 'model.json');
    if (Array.isArray(node)) {
      node.forEach((item, i) => stack.push([item, `${path}[${i}]`, depth + 1]));
      continue;
    }
    for (const [key, value] of Object.entries(node)) {
      if (key === 'class_name' && typeof value === 'string') found.push([value, path]);
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

/**
 * Validates an upload: model.json is a LayersModel whose manifest names exactly the uploaded weight files (plain
 * names, no paths), whose weight files have the sizes the manifest implies, and whose layers are all built-in.
 */
export function validateUpload(uploaded: Map<string, Buffer>): ValidUpload {
  const raw = uploaded.get('model.json');
  if (!raw)
    throw badRequest('invalid_model', "the upload has no file named 'model.json'", { file: 'model.json' });
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
  if (json.format !== undefined && json.format !== 'layers-model') {
    throw fileError(
      `model.json has format '${json.format}': only TF.js LayersModels ('layers-model') can be used`,
      'model.json',
    );
  }
  if (typeof json.modelTopology !== 'object' || json.modelTopology === null) {
    throw fileError('model.json has no modelTopology', 'model.json');
  }
  if (!Array.isArray(json.weightsManifest))
    throw fileError('model.json has no weightsManifest', 'model.json');

  const known = tf.serialization.SerializationMap.getMap().classNameMap;
  for (const [className, path] of classNames(json.modelTopology)) {
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

  const named = new Set<string>();
  json.weightsManifest.forEach((group, g) => {
    if (!Array.isArray(group?.paths) || !Array.isArray(group.weights)) {
      throw fileError(`weightsManifest[${g}] needs 'paths' and 'weights' arrays`, 'model.json');
    }
    let expected = 0;
    group.weights.forEach(
      (spec, w) => (expected += weightBytes(spec, `weightsManifest[${g}].weights[${w}]`)),
    );
    let actual = 0;
    for (const path of group.paths) {
      if (typeof path !== 'string' || !SAFE_FILE.test(path) || path.includes('..') || path === 'model.json') {
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
  });
  for (const name of uploaded.keys()) {
    if (name !== 'model.json' && !named.has(name)) {
      throw fileError(`'${name}' was uploaded but model.json does not name it`, name);
    }
  }

  const files = new Map<string, Uint8Array | string>([['model.json', raw]]);
  let sizeBytes = raw.byteLength;
  for (const name of named) {
    const data = uploaded.get(name)!;
    files.set(name, data);
    sizeBytes += data.byteLength;
  }
  return { json, files, sizeBytes };
}

/** Loads a validated upload to prove TF.js accepts it; a model TF.js rejects is a 422 naming the reason. */
export async function loadUpload(upload: ValidUpload): Promise<tf.LayersModel> {
  const specs = upload.json.weightsManifest.flatMap((group) => group.weights);
  const buffers = upload.json.weightsManifest.flatMap((group) =>
    group.paths.map((path) => {
      const data = upload.files.get(path) as Buffer;
      return data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer;
    }),
  );
  let model: tf.LayersModel;
  try {
    model = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: upload.json.modelTopology,
        weightSpecs: specs,
        weightData: tf.io.CompositeArrayBuffer.join(buffers),
      }),
    );
  } catch (error) {
    throw unprocessable('invalid_model', `TF.js cannot load this model: ${(error as Error).message}`, {
      file: 'model.json',
    });
  }
  const problem = inputProblem(model);
  if (problem) {
    model.dispose();
    throw unprocessable('unsupported_model', problem, { file: 'model.json' });
  }
  return model;
}

function inputProblem(model: tf.LayersModel): string | undefined {
  if (model.inputs.length !== 1)
    return `the model has ${model.inputs.length} inputs; only single-input models are supported`;
  if (model.outputs.length !== 1)
    return `the model has ${model.outputs.length} outputs; only single-output models are supported`;
  const shape = model.inputs[0]!.shape.slice(1);
  if (shape.some((d) => d === null))
    return `the model's input shape [${shape.join(', ')}] has unknown dimensions`;
  return undefined;
}
