import * as tf from '@tensorflow/tfjs';
import { isPlainNumeric, type Column } from '../datasets/columns.js';
import { isFiniteFloat32, showValue } from '../datasets/rows.js';
import { unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import { encodeInstance } from './column-instances.js';

/** The 422 of an instance that is not the model's input shape, or a flat row of its size. */
function invalidInstance(index: number, inputShape: number[], size: number, why: string) {
  return unprocessable(
    'invalid_instance',
    `instances[${index}]: ${why}; expected shape [${inputShape.join(', ')}] or a flat row of ${size} numbers`,
    { field: `/instances/${index}`, expectedShape: inputShape },
  );
}

const notFinite = (value: unknown, at: number) =>
  `${showValue(value)} at position ${at} is not a finite number`;

/**
 * Flattens one instance: a flat row whose length is the input's element count (`size`), or nested arrays of
 * exactly the input shape. Anything else is a 422 naming the expected shape.
 */
function flattenInstance(
  value: unknown,
  inputShape: number[],
  size: number,
  index: number,
  into: Float32Array,
  offset: number,
): void {
  if (!Array.isArray(value)) throw invalidInstance(index, inputShape, size, 'is not an array');
  if (value.length === size && !Array.isArray(value[0])) {
    for (let at = 0; at < size; at++) {
      const v: unknown = value[at];
      if (!isFiniteFloat32(v)) throw invalidInstance(index, inputShape, size, notFinite(v, at));
      into[offset + at] = v;
    }
    return;
  }
  let written = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth === inputShape.length) {
      if (!isFiniteFloat32(v)) throw invalidInstance(index, inputShape, size, notFinite(v, written));
      into[offset + written++] = v;
      return;
    }
    if (!Array.isArray(v) || v.length !== inputShape[depth]) {
      const has = Array.isArray(v) ? `length ${v.length}` : 'no array';
      throw invalidInstance(index, inputShape, size, `dimension ${depth} has ${has}`);
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
}

/** Whether a model's columns are all plain numbers, worked out once per record's column list. */
const plainColumns = new WeakMap<Column[], boolean>();
function arePlainNumeric(columns: Column[]): boolean {
  let plain = plainColumns.get(columns);
  if (plain === undefined) plainColumns.set(columns, (plain = isPlainNumeric(columns)));
  return plain;
}

/**
 * The instances as the model's flat input: rows of numbers as they are, or, for a model trained on a CSV, its
 * columns by name or in order with text and blanks ({@link encodeInstance}). A 422 names the instance at fault.
 */
export function flattenInstances(
  instances: unknown[],
  record: Pick<ModelRecord, 'inputShape' | 'columns'>,
): Float32Array {
  const shape = record.inputShape;
  const size = tf.util.sizeFromShape(shape);
  const flat = new Float32Array(instances.length * size);
  const { columns } = record;
  const encoded = columns && !arePlainNumeric(columns);
  for (let i = 0; i < instances.length; i++) {
    const instance = instances[i];
    if (columns && (encoded || !Array.isArray(instance)))
      encodeInstance(instance, columns, i, flat, i * size);
    else flattenInstance(instance, shape, size, i, flat, i * size);
  }
  return flat;
}
