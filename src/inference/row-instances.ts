import * as tf from '@tensorflow/tfjs';
import { isPlainNumeric } from '../datasets/columns.js';
import { isFiniteFloat32, showValue } from '../datasets/rows.js';
import { unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import { encodeInstance } from './column-instances.js';

/**
 * Flattens one instance: a flat row whose length is the input's element count, or nested arrays of exactly the
 * input shape. Anything else is a 422 naming the expected shape.
 */
function flattenInstance(
  value: unknown,
  inputShape: number[],
  index: number,
  into: Float32Array,
  offset: number,
): void {
  const size = tf.util.sizeFromShape(inputShape);
  const expected = () => `expected shape [${inputShape.join(', ')}] or a flat row of ${size} numbers`;
  const fail = (why: string) =>
    unprocessable('invalid_instance', `instances[${index}]: ${why}; ${expected()}`, {
      field: `/instances/${index}`,
      expectedShape: inputShape,
    });
  const put = (v: unknown, at: number) => {
    if (!isFiniteFloat32(v)) {
      throw fail(`${showValue(v)} at position ${at} is not a finite number`);
    }
    into[offset + at] = v;
  };
  if (!Array.isArray(value)) throw fail('is not an array');
  if (value.length === size && !Array.isArray(value[0])) {
    value.forEach(put);
    return;
  }
  let written = 0;
  const walk = (v: unknown, depth: number): void => {
    if (depth === inputShape.length) return put(v, written++);
    if (!Array.isArray(v) || v.length !== inputShape[depth]) {
      throw fail(`dimension ${depth} has ${Array.isArray(v) ? `length ${v.length}` : 'no array'}`);
    }
    for (const item of v) walk(item, depth + 1);
  };
  walk(value, 0);
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
  const encoded = columns && !isPlainNumeric(columns);
  instances.forEach((instance, i) =>
    columns && (encoded || !Array.isArray(instance))
      ? encodeInstance(instance, columns, i, flat, i * size)
      : flattenInstance(instance, shape, i, flat, i * size),
  );
  return flat;
}
