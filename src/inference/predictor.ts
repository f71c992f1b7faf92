import type { Redis } from 'ioredis';
import { LRUCache } from 'lru-cache';
import { Histogram } from 'prom-client';
import { notFound, ProblemError, unprocessable } from '../errors.js';
import { isModelId, modelIdOf, type AliasStore } from '../models/alias-store.js';
import type { ModelRecord, ModelStore } from '../models/model-store.js';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { preprocessInPlace } from '../models/preprocessing.js';
import { flattenInstances } from './row-instances.js';
import { assertImagesFit } from './image-instances.js';
import type { InferencePool } from './inference-pool.js';
import type { ImageTarget } from './inference-protocol.js';
import { isVersionOf, servedModel, type ModelVersion, type ServedModel } from './model-version.js';

/** A classification's prediction: the top label and score, and the `topK` best. */
export interface Prediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

/** A regression's prediction: the number, in the target's units. */
export interface ValuePrediction {
  value: number;
}

/** A 422 naming the first instance whose scores are not all finite (softmax of extreme inputs, say). */
function assertFiniteScores(scores: Float32Array, classes: number): void {
  for (let at = 0; at < scores.length; at++) {
    if (Number.isFinite(scores[at])) continue;
    const index = Math.floor(at / classes);
    throw unprocessable(
      'non_finite_output',
      `instances[${index}]: the model's scores for this instance are not finite numbers (${scores[at]})`,
      { field: `/instances/${index}` },
    );
  }
}

const unservable = (detail: string, modelId: string) =>
  unprocessable('model_unservable', detail, { modelId });

/** Up to this many best classes are picked in one pass; more are sorted. */
const PICKED = 16;

/**
 * The indices of the `k` highest scores, highest first, ties in index order (as a stable sort gives them): for a
 * small `k`, each score is placed among the best so far rather than the whole row sorted.
 */
function bestIndices(scores: Float32Array, k: number): number[] {
  if (k > PICKED)
    return Array.from(scores.keys())
      .sort((a, b) => scores[b]! - scores[a]!)
      .slice(0, k);
  const best: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const score = scores[i]!;
    if (best.length === k && !(score > scores[best[k - 1]!]!)) continue;
    let at = best.length === k ? k - 1 : best.push(i) - 1;
    for (; at > 0 && score > scores[best[at - 1]!]!; at--) best[at] = best[at - 1]!;
    best[at] = i;
  }
  return best;
}

/** Sorted scores of one row, labelled. */
function rank(scores: Float32Array, labels: string[], topK: number): Prediction {
  const top = bestIndices(scores, topK).map((i) => ({ label: labels[i] ?? String(i), score: scores[i]! }));
  return { label: top[0]!.label, score: top[0]!.score, top };
}

/** What a predictor reads from and talks to. */
export interface PredictorDeps {
  models: ModelStore;
  aliases: Pick<AliasStore, 'get'>;
  pool: InferencePool;
  redis: Redis;
  /** The queue prefix, which names the deletion channel. */
  prefix: string;
  /** Bounds on each image sent to predict: bytes of its file, width × height (the dataset ones, in the API). */
  imageLimits: { maxFileBytes: number; maxPixels: number };
}

/** What is sent to predict: rows of numbers, or encoded images fitted to the model's input. */
export type PredictInput = { instances: unknown[] } | { images: Buffer[]; fit: 'cover' | 'contain' };

export interface PredictorOptions {
  /** How long a model version that could not be built is refused without trying again. */
  unservableTtlMs?: number;
  /** Milliseconds for that TTL; the process's monotonic clock unless given (tests). */
  clock?: { now(): number };
}

/**
 * Predictions for the API: resolves the model an id or alias names, checks and flattens the instances (422s name
 * the instance), applies the model's stored preprocessing, has the {@link InferencePool} predict them off the
 * event loop, ranks the scores and times each prediction by outcome. Model records are cached here; a model
 * deleted on any API instance is forgotten on all of them (see {@link followDeletions}).
 */
export class Predictor {
  private readonly records = new LRUCache<string, ModelRecord>({ max: 10_000, ttl: RECORD_TTL_MS });
  /** The served version of each record object, so that a cached record's key is not built per request. */
  private readonly served = new WeakMap<ModelRecord, ServedModel>();
  /**
   * Model versions an inference host could not build for a reason of their own (`model_unservable`), with why:
   * refused here for a while without sending a batch. This is the one memory of them: it saves the most (no
   * request reaches the pool), and a host that kept its own would only answer what this already answers.
   * Failures that may pass (memory, the backend) are never remembered; the TTL bounds a wrong verdict.
   */
  private readonly unservable: LRUCache<string, { version: ModelVersion; detail: string }>;
  private readonly models: ModelStore;
  private readonly aliases: Pick<AliasStore, 'get'>;
  private readonly redis: Redis;
  private readonly keys: RedisKeys;
  readonly pool: InferencePool;
  private readonly imageLimits: { maxFileBytes: number; maxPixels: number };
  /** Predictions from the request being checked to the scores being back, by outcome; /metrics exposes it. */
  readonly predictSeconds = new Histogram({
    name: 'finetuned_predict_duration_seconds',
    help: 'Predictions from the request being checked to the scores being back, by outcome',
    labelNames: ['outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [],
  });

  constructor(
    { models, aliases, pool, redis, prefix, imageLimits }: PredictorDeps,
    { unservableTtlMs = UNSERVABLE_TTL_MS, clock }: PredictorOptions = {},
  ) {
    this.models = models;
    this.aliases = aliases;
    this.pool = pool;
    this.imageLimits = imageLimits;
    this.redis = redis;
    this.keys = redisKeysFor(prefix);
    this.unservable = new LRUCache<string, { version: ModelVersion; detail: string }>({
      max: 10_000,
      ttl: unservableTtlMs,
      // Read the clock at each look-up, not a value cached for a millisecond: a test's clock moves at once.
      ttlResolution: 0,
      ...(clock ? { perf: clock } : {}),
    });
  }

  /** A model's record, from the cache when it was read recently. */
  async record(tenant: string, id: string): Promise<ModelRecord | undefined> {
    const key = `${tenant}/${id}`;
    const cached = this.records.get(key);
    if (cached) return cached;
    const record = await this.models.get(tenant, id);
    if (record) this.records.set(key, record);
    return record;
  }

  /**
   * Predicts with the model `idOrAlias` names (a 404 when there is none) and records how long the prediction
   * took and how it ended.
   */
  async serve(
    tenant: string,
    idOrAlias: string,
    input: PredictInput,
    topK: number,
  ): Promise<{ modelId: string; predictions: Array<Prediction | ValuePrediction> }> {
    // A model id and a cached record are taken without a turn of the event loop: the common request waits once.
    const id = isModelId(idOrAlias) ? idOrAlias : await this.resolve(tenant, idOrAlias);
    const record = this.records.get(`${tenant}/${id}`) ?? (await this.record(tenant, id));
    if (!record) throw notFound('model', id);
    const started = performance.now();
    try {
      const predictions = await this.predict(tenant, record, input, topK);
      this.predictSeconds.observe(OK, (performance.now() - started) / 1000);
      return { modelId: record.id, predictions };
    } catch (error) {
      const outcome = error instanceof ProblemError ? error.code : 'error';
      this.predictSeconds.observe({ outcome }, (performance.now() - started) / 1000);
      throw error;
    }
  }

  /** The model id `idOrAlias` names: itself when it is one, else the model its alias points to. */
  private resolve(tenant: string, idOrAlias: string): Promise<string> {
    return modelIdOf(this.aliases, tenant, idOrAlias);
  }

  /** Predicts with the model of `record`, whose version is the one served. */
  async predict(
    tenant: string,
    record: ModelRecord,
    input: PredictInput,
    topK: number,
  ): Promise<Array<Prediction | ValuePrediction>> {
    const count = 'images' in input ? input.images.length : input.instances.length;
    const flat =
      'images' in input ? await this.imageInput(record, input) : this.rowInput(record, input.instances);
    const served = this.servedOf(tenant, record);
    const { version } = served;
    const known = this.unservable.size === 0 ? undefined : this.unservable.get(served.key);
    if (known !== undefined) throw unservable(known.detail, record.id);
    let result: { scores: Float32Array; classes: number };
    try {
      result = await this.pool.predict(served, flat, count);
    } catch (error) {
      // Deleted while its record was cached here.
      if (error instanceof ProblemError && error.code === 'model_not_found')
        this.forgetHere(tenant, record.id);
      if (error instanceof ProblemError && error.code === 'model_unservable')
        this.unservable.set(served.key, { version, detail: error.message });
      throw error;
    }
    const { scores, classes } = result;
    assertFiniteScores(scores, classes);
    const scaling = record.task === 'regression' ? record.targetScaling : undefined;
    if (scaling) return Array.from(scores, (score) => ({ value: score * scaling.std + scaling.mean }));
    // Without labels, a class is named by its index (rank's fallback).
    const labels = record.labels ?? [];
    const k = Math.min(topK, classes);
    return Array.from({ length: count }, (_, i) =>
      rank(scores.subarray(i * classes, (i + 1) * classes), labels, k),
    );
  }

  /** The version of `record` the pool serves, made once per record object (cached records are reused). */
  private servedOf(tenant: string, record: ModelRecord): ServedModel {
    const cached = this.served.get(record);
    if (cached?.version.tenant === tenant) return cached;
    const version = { tenant, modelId: record.id, createdAt: record.createdAt };
    const served = servedModel(version, record.inputShape, record.sizeBytes);
    this.served.set(record, served);
    return served;
  }

  /** Rows checked and flattened into the model's input, preprocessed as its record says. */
  private rowInput(record: ModelRecord, instances: unknown[]): Float32Array {
    const flat = flattenInstances(instances, record);
    preprocessInPlace(flat, record.preprocessing);
    return flat;
  }

  /** Images decoded and fitted to the model's [H, W, C] on an inference host, preprocessed as its record says. */
  private async imageInput(
    record: ModelRecord,
    input: Extract<PredictInput, { images: Buffer[] }>,
  ): Promise<Float32Array> {
    const shape = record.inputShape;
    const [height, width, channels] = shape as [number, number, number];
    if (shape.length !== 3 || (channels !== 1 && channels !== 3)) {
      throw unprocessable(
        'shape_mismatch',
        `model ${record.id} takes instances of shape [${shape.join(', ')}], not images ([height, width, 1 or 3])`,
        { expected: shape },
      );
    }
    assertImagesFit(record, input.images.length);
    const target: ImageTarget = {
      height,
      width,
      channels: channels === 1 ? 1 : 3,
      fit: input.fit,
      ...this.imageLimits,
    };
    return this.pool.decodeImages(input.images, target, record.preprocessing);
  }

  /** Forgets a deleted model here and, through Redis, on every other API instance. */
  async forget(tenant: string, id: string): Promise<void> {
    this.forgetHere(tenant, id);
    await this.redis.publish(this.keys.modelDeleted(), JSON.stringify({ tenant, id }));
  }

  private forgetHere(tenant: string, id: string): void {
    this.records.delete(`${tenant}/${id}`);
    for (const [key, { version }] of [...this.unservable.entries()])
      if (isVersionOf(version, tenant, id)) this.unservable.delete(key);
    this.pool.drop(tenant, id);
  }

  /** Listens for models deleted on other API instances on `subscriber`, a connection of its own. */
  async followDeletions(subscriber: Redis): Promise<void> {
    subscriber.on('message', (_channel: string, message: string) => {
      try {
        const { tenant, id } = JSON.parse(message) as { tenant: string; id: string };
        this.forgetHere(String(tenant), String(id));
      } catch {
        // Not a notice of ours.
      }
    });
    await subscriber.subscribe(this.keys.modelDeleted());
  }
}

/** The outcome label of a prediction that was answered. */
const OK = { outcome: 'ok' } as const;

/** How long a model record is trusted without a deletion notice: the bound on a missed notice. */
const RECORD_TTL_MS = 60_000;
/** How long a model version that could not be built is refused without trying again. */
const UNSERVABLE_TTL_MS = 10 * 60_000;
