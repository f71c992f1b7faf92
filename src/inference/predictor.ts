import * as tf from '@tensorflow/tfjs';
import { isFiniteFloat32 } from '../datasets/dataset-parser.js';
import { unprocessable } from '../errors.js';
import type { ModelRecord, ModelStore } from '../models/model-store.js';
import { standardizeInPlace } from '../training/data.js';
import { ModelCache } from './model-cache.js';

export interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

/**
 * Flattens one instance: a flat row whose length is the input's element count, or nested arrays of exactly the
 * input shape. Anything else is a 422 naming the expected shape.
 */
export function flattenInstance(
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
      throw fail(`${JSON.stringify(v) ?? String(v)} at position ${at} is not a finite number`);
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

/** Sorted scores of one row, labelled. */
function rank(scores: Float32Array, labels: string[], topK: number): Prediction {
  const order = Array.from(scores.keys()).sort((a, b) => scores[b]! - scores[a]!);
  const top = order.slice(0, topK).map((i) => ({ label: labels[i] ?? String(i), score: scores[i]! }));
  return { label: top[0]!.label, score: top[0]!.score, top };
}

/**
 * Predicts in this process, with loaded models in a {@link ModelCache}. The seam where inference moves into a
 * pool of threads.
 */
export class Predictor {
  private readonly cache: ModelCache;

  constructor(
    private readonly models: ModelStore,
    maxBytes: number,
  ) {
    this.cache = new ModelCache(maxBytes);
  }

  /** Loaded models, for metrics and tests. */
  get size(): number {
    return this.cache.size;
  }

  async predict(
    tenant: string,
    record: ModelRecord,
    instances: unknown[],
    topK: number,
  ): Promise<Prediction[]> {
    const size = tf.util.sizeFromShape(record.inputShape);
    const flat = new Float32Array(instances.length * size);
    instances.forEach((instance, i) => flattenInstance(instance, record.inputShape, i, flat, i * size));
    const stats = record.preprocessing?.standardize;
    if (stats) standardizeInPlace(flat, stats);
    const load = async () => {
      const model = await this.models.load(tenant, record.id);
      // Warm up: the first predict compiles kernels, so pay that here rather than in a request.
      tf.tidy(() => model.predict(tf.zeros([1, ...record.inputShape])));
      return model;
    };
    const scores = await this.cache.with(cacheKey(tenant, record), load, (model) =>
      tf.tidy(
        () =>
          (
            model.predict(tf.tensor(flat, [instances.length, ...record.inputShape])) as tf.Tensor
          ).dataSync() as Float32Array,
      ),
    );
    const classes = scores.length / instances.length;
    const labels = record.labels ?? Array.from({ length: classes }, (_, i) => String(i));
    const k = Math.min(topK, classes);
    return instances.map((_, i) => rank(scores.subarray(i * classes, (i + 1) * classes), labels, k));
  }

  /** Drops a model (deleted, or replaced) from the cache; it is disposed once no prediction uses it. */
  evict(tenant: string, record: ModelRecord): void {
    this.cache.deletePrefix(`${tenant}/${record.id}@`);
  }

  clear(): void {
    this.cache.clear();
  }
}

/** A model id with its creation time: a model stored again under the same id is a new cache entry. */
const cacheKey = (tenant: string, record: ModelRecord) => `${tenant}/${record.id}@${record.createdAt}`;
