import type { Logger } from 'pino';
import type { Config } from '../config.js';
import { notFound, ProblemError, unavailable, unprocessable } from '../errors.js';
import type { Preprocessing } from '../models/preprocessing.js';
import type { ProblemCode } from '../problem-codes.js';
import type { BackendInfo } from '../tf/backend.js';
import { Batcher, HOST_DEPTH, hostsGone, type Batch, type Scores } from './batcher.js';
import { HostSet, type BatchReply, type Host } from './inference-hosts.js';
import type { HostErrorCode, HostStats, ImageTarget, PredictMessage } from './inference-protocol.js';
import { ModelPlacement } from './model-placement.js';
import { isVersionOf, type ServedModel } from './model-version.js';

export type { ServedModel } from './model-version.js';

export interface PoolOptions {
  hosts: number;
  isolation: 'thread' | 'process';
  maxBatch: number;
  maxWaitMs: number;
  queueLimit: number;
  cacheBytes: number;
  config: Config;
  logger: Pick<Logger, 'error'>;
}

/** Counters of the pool since it started; `batches` below `requests` is micro-batching at work. */
export interface PoolStats {
  requests: number;
  instances: number;
  batches: number;
  largestBatch: number;
  overloaded: number;
  /** Batches whose model was loaded already, and batches that loaded it. */
  cacheHits: number;
  cacheMisses: number;
  /** Instances waiting for a batch or being predicted now. */
  pending: number;
  models: number;
  cachedBytes: number;
  hosts: number;
}

/** The problem a host's failure of a batch is answered with. */
function hostError(code: HostErrorCode, modelId: string, message: string): Error {
  switch (code) {
    case 'model_not_found':
      return notFound('model', modelId);
    case 'model_unservable':
      return unprocessable('model_unservable', `model ${modelId} cannot be served: ${message}`, { modelId });
    case 'model_load_failed':
      return unavailable('model_load_failed', `model ${modelId} could not be loaded just now; retry shortly`);
    default:
      return new Error(`inference failed: ${message}`);
  }
}

/**
 * Runs predictions on a pool of inference hosts, off the API's event loop: the hosts ({@link HostSet}) run the
 * batches that the {@link Batcher} forms, each model version on the host that {@link ModelPlacement} gives it.
 * Large requests are chunked into batches of at most `maxBatch` instances and joined back here.
 */
export class InferencePool {
  private readonly hosts: HostSet;
  private readonly batcher: Batcher<Host>;
  private readonly placement: ModelPlacement<Host>;
  private nextId = 1;
  /** Instances sent to a host and not yet answered. */
  private inFlight = 0;
  /** Images being decoded for a prediction, not yet instances. */
  private decoding = 0;
  private readonly counters = {
    requests: 0,
    instances: 0,
    batches: 0,
    largestBatch: 0,
    overloaded: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };

  private constructor(private readonly options: PoolOptions) {
    this.placement = new ModelPlacement<Host>(options.cacheBytes, (host, key) =>
      host.channel.send({ type: 'drop', key }),
    );
    this.batcher = new Batcher<Host>(options, {
      hostFor: (model) => this.placement.hostFor(model, this.hosts.live, (host) => host.running.size),
      inFlight: (host) => host.running.size,
      send: (host, batch) => this.send(host, batch),
    });
    this.hosts = new HostSet(options, {
      ready: () => this.batcher.pump(),
      reply: (host, message) => this.receive(host, message),
      lost: (host) => this.lose(host),
    });
  }

  /** Starts the hosts and waits until each has its TF.js backend. */
  static async start(options: PoolOptions): Promise<InferencePool> {
    const pool = new InferencePool(options);
    try {
      await pool.hosts.start(options.hosts);
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  /** The TF.js backend the hosts run on. */
  get backend(): BackendInfo | undefined {
    return this.hosts.backend;
  }

  /**
   * Predicts `count` instances (flattened into `input`) with `model`; scores come back flattened, `classes` per
   * instance. A 503 when more than `queueLimit` instances are already waiting (an idle pool takes any request).
   */
  async predict(model: ServedModel, input: Float32Array, count: number): Promise<Scores> {
    this.admit(count);
    this.counters.requests += 1;
    this.counters.instances += count;
    const { maxBatch } = this.options;
    const size = input.length / count;
    const chunks: Array<Promise<Scores>> = [];
    for (let start = 0; start < count; start += maxBatch) {
      const n = Math.min(maxBatch, count - start);
      chunks.push(this.batcher.enqueue(model, input.subarray(start * size, (start + n) * size), n));
    }
    this.pumpUnlessFull();
    // Most requests are one chunk, whose answer is the request's.
    return chunks.length === 1 ? await chunks[0]! : joinChunks(await Promise.all(chunks), count);
  }

  /** Pumps unless every host runs all the batches it takes: nothing could go, and the next answer pumps. */
  private pumpUnlessFull(): void {
    const { live } = this.hosts;
    if (live.length === 0 || live.some((host) => host.running.size < HOST_DEPTH)) this.batcher.pump();
  }

  /**
   * Decodes images into `target`'s input on an inference host, preprocessed; a problem naming the index of the
   * first image that is not one or is too large.
   */
  async decodeImages(
    images: Buffer[],
    target: ImageTarget,
    preprocessing: Preprocessing,
  ): Promise<Float32Array> {
    // Refused before any is decoded when too much waits already; counted as waiting while they decode.
    this.admit(images.length);
    this.decoding += images.length;
    let reply: Awaited<ReturnType<HostSet['decode']>>;
    try {
      // Copies, each with a buffer of its own to hand over: a request's buffers may share one.
      reply = await this.hosts.decode({
        type: 'decode',
        images: images.map((image) => new Uint8Array(image)),
        target,
        preprocessing,
      });
    } finally {
      this.decoding -= images.length;
    }
    if (reply.type === 'decoded') return reply.values;
    if (reply.status >= 500) throw new Error(`decoding failed: ${reply.message}`);
    const code = reply.code as ProblemCode;
    throw new ProblemError(reply.status, code, `images[${reply.index}]: ${reply.message}`, {
      index: reply.index,
    });
  }

  private get pending(): number {
    return this.batcher.waiting + this.inFlight + this.decoding;
  }

  /** A 503 when more than `queueLimit` instances would be waiting with these `count` (an idle pool takes any). */
  private admit(count: number): void {
    if (this.hosts.closing || this.hosts.live.length === 0) throw hostsGone();
    const pending = this.pending;
    if (pending > 0 && pending + count > this.options.queueLimit) {
      this.counters.overloaded += 1;
      throw unavailable(
        'overloaded',
        `more than ${this.options.queueLimit} instances are waiting to be predicted; retry shortly`,
      );
    }
  }

  private send(host: Host, batch: Batch) {
    const { model, count, input } = batch;
    const { keep, hit } = this.placement.use(model, host);
    if (hit) this.counters.cacheHits += 1;
    else this.counters.cacheMisses += 1;
    const id = this.nextId++;
    host.running.set(id, batch);
    this.inFlight += count;
    this.counters.batches += 1;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, count);
    const message: PredictMessage = {
      type: 'predict',
      id,
      key: model.key,
      tenant: model.version.tenant,
      modelId: model.version.modelId,
      inputShape: model.inputShape,
      count,
      input,
      keep,
    };
    try {
      host.channel.send(message, [input.buffer]);
    } catch (error) {
      host.running.delete(id);
      this.inFlight -= count;
      for (const item of batch.items) item.reject(error as Error);
    }
  }

  private receive(host: Host, message: BatchReply) {
    const batch = host.running.get(message.id);
    if (!batch) return;
    host.running.delete(message.id);
    this.inFlight -= batch.count;
    if (message.type === 'error') {
      this.placement.release(batch.model, host);
      const error = hostError(message.code, batch.model.version.modelId, message.message);
      for (const item of batch.items) item.reject(error);
    } else {
      let offset = 0;
      for (const item of batch.items) {
        const size = item.count * message.classes;
        item.resolve({ scores: message.scores.subarray(offset, offset + size), classes: message.classes });
        offset += size;
      }
    }
    this.batcher.pump();
  }

  /** A host died: its batches fail as unavailable (they may be retried), and its models are no longer placed. */
  private lose(host: Host) {
    const error = unavailable(
      'inference_unavailable',
      'the inference host running this request exited; retry it',
    );
    for (const batch of host.running.values()) {
      this.inFlight -= batch.count;
      for (const item of batch.items) item.reject(error);
    }
    host.running.clear();
    this.placement.forgetHost(host);
    // Its models' waiting requests go to the other hosts, or fail if there are none.
    this.batcher.pump();
  }

  /**
   * Drops every loaded version of a model (it was deleted) from the host holding it. Requests already waiting for
   * it are sent first, so they are answered.
   */
  drop(tenant: string, modelId: string): void {
    this.batcher.flush((version) => isVersionOf(version, tenant, modelId));
    this.placement.drop(tenant, modelId);
  }

  stats(): PoolStats {
    return {
      ...this.counters,
      pending: this.pending,
      models: this.placement.size,
      cachedBytes: this.placement.bytes,
      hosts: this.hosts.live.length,
    };
  }

  /** Each host's loaded models and TF.js memory; a host that does not answer within `timeoutMs` fails the call. */
  hostStats(timeoutMs = 2_000): Promise<HostStats[]> {
    return this.hosts.stats(timeoutMs);
  }

  /** Stops the hosts, those still starting too. Requests still waiting fail as unavailable. */
  async close(): Promise<void> {
    const error = unavailable('inference_unavailable', 'the service is shutting down');
    this.batcher.close(error);
    await this.hosts.close((host) => {
      for (const batch of host.running.values()) for (const item of batch.items) item.reject(error);
    });
  }
}

/** One result from the results of a request's chunks, in order. */
function joinChunks(results: Scores[], count: number): Scores {
  if (results.length === 1) return results[0]!;
  const classes = results[0]!.classes;
  const scores = new Float32Array(count * classes);
  let offset = 0;
  for (const result of results) {
    scores.set(result.scores, offset);
    offset += result.scores.length;
  }
  return { scores, classes };
}

/** How many hosts `INFERENCE_HOSTS=0` means: one per core beyond the first (left to HTTP), 1 to 4. */
export function defaultHostCount(cores: number): number {
  return Math.min(4, Math.max(1, cores - 1));
}
