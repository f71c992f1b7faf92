import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { childEntry } from '../child-process.js';
import type { Config } from '../config.js';
import { notFound, unavailable, unprocessable } from '../errors.js';
import type { BackendInfo } from '../tf/backend.js';
import type { FromHost, HostStats, PredictMessage, ToHost } from './inference-protocol.js';

const HOST_ENTRY = childEntry(import.meta.url, 'inference.host');

/** A host sends at most this many batches ahead: one running, one ready to start when it ends. */
const HOST_DEPTH = 2;

/** A model as the pool serves it. */
export interface ServedModel {
  /** Identifies one stored version of the model: a model stored again is a new key. */
  key: string;
  tenant: string;
  modelId: string;
  inputShape: number[];
  /** What the model takes in memory once loaded, for the cache's byte bound. */
  bytes: number;
}

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

interface Item {
  input: Float32Array;
  count: number;
  at: number;
  resolve: (result: { scores: Float32Array; classes: number }) => void;
  reject: (error: Error) => void;
}

interface Batch {
  model: ServedModel;
  items: Item[];
  count: number;
}

/** The requests waiting for one model. */
interface ModelQueue {
  model: ServedModel;
  items: Item[];
  count: number;
}

/** How a host is reached: a worker thread or a child process, behind the same two calls. */
interface Channel {
  send(message: ToHost, transfer?: ArrayBuffer[]): void;
  stop(): Promise<void>;
}

class Host {
  bytes = 0;
  dead = false;
  readonly running = new Map<number, Batch>();
  readonly asked = new Map<number, { resolve: (stats: HostStats) => void; reject: (error: Error) => void }>();
  constructor(
    readonly index: number,
    readonly channel: Channel,
  ) {}
}

interface Placement {
  host: Host;
  bytes: number;
}

/** Restarting a host that keeps failing to start waits longer each time, up to this. */
const MAX_RESTART_DELAY_MS = 30_000;

const hostsGone = () =>
  unavailable('inference_unavailable', 'no inference host is running at the moment; retry shortly');

/**
 * Runs predictions on a pool of inference hosts, off the API's event loop. Requests for the same model are
 * coalesced into batches of up to `maxBatch` instances and split back per request; large requests are chunked. A
 * batch goes as soon as it is full, or once its first request has waited `maxWaitMs` and its host is free (or
 * other models are waiting for the same host: then the longest-waiting goes first, so no model starves another).
 * Each model is loaded on one host; which models stay loaded is decided here, least recently used out, bounded
 * by `cacheBytes` across the pool.
 */
export class InferencePool {
  private readonly hosts: Host[] = [];
  /** Every host started and not yet stopped, ready or not. */
  private readonly channels = new Set<Channel>();
  private readonly queues = new Map<string, ModelQueue>();
  private readonly placements: LRUCache<string, Placement>;
  private nextId = 1;
  private pending = 0;
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  private closing = false;
  private readonly counters = {
    requests: 0,
    instances: 0,
    batches: 0,
    largestBatch: 0,
    overloaded: 0,
    cacheHits: 0,
    cacheMisses: 0,
  };
  backend: BackendInfo | undefined;

  private constructor(private readonly options: PoolOptions) {
    this.placements = new LRUCache<string, Placement>({
      maxSize: Math.max(options.cacheBytes, 1),
      sizeCalculation: (placement) => Math.max(placement.bytes, 1),
      dispose: (placement, key) => {
        placement.host.bytes -= placement.bytes;
        if (!placement.host.dead) placement.host.channel.send({ type: 'drop', key });
      },
    });
  }

  /** Starts the hosts and waits until each has its TF.js backend. */
  static async start(options: PoolOptions): Promise<InferencePool> {
    const pool = new InferencePool(options);
    try {
      await Promise.all(Array.from({ length: options.hosts }, (_, i) => pool.spawn(i)));
    } catch (error) {
      await pool.close();
      throw error;
    }
    return pool;
  }

  private spawn(index: number): Promise<Host> {
    return new Promise((resolve, reject) => {
      const host: Host = new Host(
        index,
        this.open(
          (message) => onMessage(message),
          (why) => onExit(why),
        ),
      );
      this.channels.add(host.channel);
      const onMessage = (message: FromHost) => {
        if (message.type !== 'ready') return this.receive(host, message);
        if (this.closing) return void host.channel.stop();
        this.backend = message.backend;
        this.hosts[index] = host;
        resolve(host);
        this.pump();
      };
      const onExit = (why: string) => {
        this.channels.delete(host.channel);
        if (host.dead) return;
        host.dead = true;
        if (this.hosts[index] !== host)
          return reject(new Error(`an inference host failed to start (${why})`));
        this.lose(host, why);
        if (!this.closing) this.restart(index, 1_000);
      };
    });
  }

  /** Starts a host in place of one that died, again and again (backing off) until one starts. */
  private restart(index: number, delayMs: number) {
    this.spawn(index).catch((error: unknown) => {
      this.options.logger.error({ err: error, retryInMs: delayMs }, 'inference host failed to start');
      if (this.closing) return;
      setTimeout(() => this.restart(index, Math.min(delayMs * 2, MAX_RESTART_DELAY_MS)), delayMs).unref();
    });
  }

  private open(onMessage: (message: FromHost) => void, onExit: (why: string) => void): Channel {
    const { config, isolation, logger } = this.options;
    if (isolation === 'thread') {
      const worker = HOST_ENTRY.pathname.endsWith('.ts')
        ? // Running from source: the thread registers the TypeScript loader before it imports the host.
          new Worker(
            `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
              `.then(({ register }) => { register(); return import(${JSON.stringify(HOST_ENTRY.href)}); })`,
            { eval: true, workerData: { config } },
          )
        : new Worker(HOST_ENTRY, { workerData: { config } });
      worker.on('message', onMessage);
      worker.on('error', (error) => logger.error({ err: error }, 'inference thread failed'));
      worker.on('exit', (code) => onExit(`exit code ${code}`));
      return {
        send: (message, transfer = []) => worker.postMessage(message, transfer),
        stop: async () => void (await worker.terminate()),
      };
    }
    // Each process is a TensorFlow runtime of its own: with tfjs-node-gpu, one that grows its GPU memory as needed.
    const env: NodeJS.ProcessEnv = { TF_FORCE_GPU_ALLOW_GROWTH: 'true', ...process.env };
    for (const [key, value] of Object.entries(config)) env[key] = String(value);
    const child: ChildProcess = fork(fileURLToPath(HOST_ENTRY), [], {
      // The API's loader flags, not its debugger: a second process on the same inspector port would fail.
      execArgv: process.execArgv.filter((flag) => !flag.startsWith('--inspect')),
      env,
      serialization: 'advanced',
    });
    child.on('message', onMessage);
    child.on('error', (error) => logger.error({ err: error }, 'inference process failed'));
    child.on('exit', (code, signal) => onExit(signal ?? `exit code ${code}`));
    return {
      send: (message) => {
        if (child.connected) child.send(message);
      },
      stop: () =>
        new Promise<void>((resolve) => {
          if (child.exitCode !== null || child.signalCode !== null) return resolve();
          child.once('exit', () => resolve());
          child.disconnect();
          // A host busy in a long batch or load is not waited for.
          setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
        }),
    };
  }

  /** A host died: its batches fail as unavailable (they may be retried), and its models are no longer placed. */
  private lose(host: Host, why: string) {
    this.options.logger.error({ host: host.index, why }, 'inference host exited; starting another');
    const error = unavailable(
      'inference_unavailable',
      'the inference host running this request exited; retry it',
    );
    for (const batch of host.running.values()) {
      this.pending -= batch.count;
      for (const item of batch.items) item.reject(error);
    }
    host.running.clear();
    for (const { reject } of host.asked.values()) reject(error);
    host.asked.clear();
    for (const [key, placement] of [...this.placements.entries()])
      if (placement.host === host) this.placements.delete(key);
    // Its models' waiting requests go to the other hosts, or fail if there are none.
    this.pump();
  }

  private receive(host: Host, message: FromHost) {
    if (message.type === 'stats') {
      host.asked.get(message.id)?.resolve(message.stats);
      host.asked.delete(message.id);
      return;
    }
    if (message.type === 'ready') return;
    const batch = host.running.get(message.id);
    if (!batch) return;
    host.running.delete(message.id);
    this.pending -= batch.count;
    if (message.type === 'error') {
      // The model may not have loaded there: it is not counted as placed there any more.
      if (this.placements.peek(batch.model.key)?.host === host) this.placements.delete(batch.model.key);
      const { modelId } = batch.model;
      const error =
        message.code === 'model_not_found'
          ? notFound('model', modelId)
          : message.code === 'model_unservable'
            ? unprocessable('model_unservable', `model ${modelId} cannot be served: ${message.message}`, {
                modelId,
              })
            : message.code === 'model_load_failed'
              ? unavailable(
                  'model_load_failed',
                  `model ${modelId} could not be loaded just now; retry shortly`,
                )
              : new Error(`inference failed: ${message.message}`);
      for (const item of batch.items) item.reject(error);
    } else {
      let offset = 0;
      for (const item of batch.items) {
        const size = item.count * message.classes;
        item.resolve({ scores: message.scores.subarray(offset, offset + size), classes: message.classes });
        offset += size;
      }
    }
    this.pump();
  }

  private get liveHosts(): Host[] {
    return this.hosts.filter((host) => host !== undefined && !host.dead);
  }

  /**
   * Predicts `count` instances (flattened into `input`) with `model`; scores come back flattened, `classes` per
   * instance. A 503 when more than `queueLimit` instances are already waiting (an idle pool takes any request).
   */
  async predict(
    model: ServedModel,
    input: Float32Array,
    count: number,
  ): Promise<{ scores: Float32Array; classes: number }> {
    if (this.closing || this.liveHosts.length === 0) throw hostsGone();
    if (this.pending > 0 && this.pending + count > this.options.queueLimit) {
      this.counters.overloaded += 1;
      throw unavailable(
        'overloaded',
        `more than ${this.options.queueLimit} instances are waiting to be predicted; retry shortly`,
      );
    }
    this.counters.requests += 1;
    this.counters.instances += count;
    this.pending += count;
    const { maxBatch } = this.options;
    const size = input.length / count;
    const chunks: Array<Promise<{ scores: Float32Array; classes: number }>> = [];
    for (let start = 0; start < count; start += maxBatch) {
      const n = Math.min(maxBatch, count - start);
      chunks.push(this.enqueue(model, input.subarray(start * size, (start + n) * size), n));
    }
    this.pump();
    const results = await Promise.all(chunks);
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

  private enqueue(model: ServedModel, input: Float32Array, count: number) {
    return new Promise<{ scores: Float32Array; classes: number }>((resolve, reject) => {
      let queue = this.queues.get(model.key);
      if (!queue) {
        queue = { model, items: [], count: 0 };
        this.queues.set(model.key, queue);
      }
      queue.items.push({ input, count, at: performance.now(), resolve, reject });
      queue.count += count;
    });
  }

  /** The host a model runs on: where it is loaded, else the one holding the fewest bytes. */
  private hostFor(model: ServedModel): Host | undefined {
    const placed = this.placements.peek(model.key);
    if (placed && !placed.host.dead) return placed.host;
    let best: Host | undefined;
    for (const host of this.liveHosts) {
      if (
        !best ||
        host.bytes < best.bytes ||
        (host.bytes === best.bytes && host.running.size < best.running.size)
      )
        best = host;
    }
    return best;
  }

  /** Fails every waiting request: there is no host to send it to. */
  private failWaiting(queues: Iterable<ModelQueue>) {
    const error = hostsGone();
    for (const queue of queues) {
      this.pending -= queue.count;
      for (const item of queue.items) item.reject(error);
      this.queues.delete(queue.model.key);
    }
  }

  /** Sends every batch that is due to a host that can take it; arms a timer for the next one that will be. */
  private pump() {
    if (this.queues.size === 0) return;
    const byHost = new Map<Host, ModelQueue[]>();
    const homeless: ModelQueue[] = [];
    for (const queue of this.queues.values()) {
      const host = this.hostFor(queue.model);
      if (!host) homeless.push(queue);
      else if (byHost.has(host)) byHost.get(host)!.push(queue);
      else byHost.set(host, [queue]);
    }
    // With no host left (all died and none has started again yet), waiting requests fail rather than hang.
    if (homeless.length > 0) this.failWaiting(homeless);
    const now = performance.now();
    let wake = Infinity;
    for (const [host, waiting] of byHost) {
      while (host.running.size < HOST_DEPTH) {
        const ready = waiting.filter((queue) => queue.items.length > 0);
        if (ready.length === 0) break;
        ready.sort((a, b) => a.items[0]!.at - b.items[0]!.at);
        const oldest = ready[0]!;
        const due = oldest.items[0]!.at + this.options.maxWaitMs;
        // The longest-waiting model goes first once due; a busy host takes a partial batch only when other models
        // wait for it too, so a lone model's batch keeps filling while its last one runs.
        const chosen =
          oldest.count >= this.options.maxBatch ||
          (due <= now && (host.running.size === 0 || ready.length > 1))
            ? oldest
            : ready.find((queue) => queue.count >= this.options.maxBatch);
        if (!chosen) {
          if (host.running.size === 0 || ready.length > 1) wake = Math.min(wake, due);
          break;
        }
        this.dispatch(chosen, host);
      }
    }
    for (const queue of [...this.queues.values()])
      if (queue.items.length === 0) this.queues.delete(queue.model.key);
    if (wake < Infinity && wake < this.timerAt) {
      clearTimeout(this.timer);
      this.timerAt = wake;
      this.timer = setTimeout(
        () => {
          this.timerAt = Infinity;
          this.pump();
        },
        Math.max(0, wake - now),
      );
    }
  }

  private dispatch(queue: ModelQueue, host: Host) {
    const { model } = queue;
    const items: Item[] = [];
    let count = 0;
    while (queue.items.length > 0 && count + queue.items[0]!.count <= this.options.maxBatch) {
      const item = queue.items.shift()!;
      items.push(item);
      count += item.count;
    }
    queue.count -= count;
    const input = new Float32Array(items.reduce((n, item) => n + item.input.length, 0));
    let offset = 0;
    for (const item of items) {
      input.set(item.input, offset);
      offset += item.input.length;
    }
    // Placing a model may evict others; their hosts drop them after the batches already sent.
    let keep = false;
    if (model.bytes > this.options.cacheBytes) this.counters.cacheMisses += 1;
    else {
      keep = true;
      if (this.placements.get(model.key)) this.counters.cacheHits += 1;
      else {
        this.counters.cacheMisses += 1;
        host.bytes += model.bytes;
        this.placements.set(model.key, { host, bytes: model.bytes });
      }
    }
    const id = this.nextId++;
    host.running.set(id, { model, items, count });
    this.counters.batches += 1;
    this.counters.largestBatch = Math.max(this.counters.largestBatch, count);
    const message: PredictMessage = {
      type: 'predict',
      id,
      key: model.key,
      tenant: model.tenant,
      modelId: model.modelId,
      inputShape: model.inputShape,
      count,
      input,
      keep,
    };
    try {
      host.channel.send(message, [input.buffer]);
    } catch (error) {
      host.running.delete(id);
      this.pending -= count;
      for (const item of items) item.reject(error as Error);
    }
  }

  /**
   * Drops every loaded version of a model (it was deleted) from the host holding it. Requests already waiting for
   * it are sent first, so they are answered.
   */
  drop(keyPrefix: string) {
    for (const queue of [...this.queues.values()]) {
      if (!queue.model.key.startsWith(keyPrefix)) continue;
      const host = this.hostFor(queue.model);
      if (!host) {
        this.failWaiting([queue]);
        continue;
      }
      while (queue.items.length > 0) this.dispatch(queue, host);
      this.queues.delete(queue.model.key);
    }
    for (const key of [...this.placements.keys()]) if (key.startsWith(keyPrefix)) this.placements.delete(key);
  }

  stats(): PoolStats {
    return {
      ...this.counters,
      pending: this.pending,
      models: this.placements.size,
      cachedBytes: this.placements.calculatedSize,
      hosts: this.liveHosts.length,
    };
  }

  /** Each host's loaded models and TF.js memory; a host that does not answer within `timeoutMs` fails the call. */
  hostStats(timeoutMs = 2_000): Promise<HostStats[]> {
    return Promise.all(
      this.liveHosts.map(
        (host) =>
          new Promise<HostStats>((resolve, reject) => {
            const id = this.nextId++;
            const timer = setTimeout(() => {
              host.asked.delete(id);
              reject(new Error(`inference host ${host.index} did not answer within ${timeoutMs} ms`));
            }, timeoutMs);
            const settle =
              <T>(then: (value: T) => void) =>
              (value: T) => {
                clearTimeout(timer);
                then(value);
              };
            host.asked.set(id, { resolve: settle(resolve), reject: settle(reject) });
            host.channel.send({ type: 'stats', id });
          }),
      ),
    );
  }

  /** Stops the hosts, those still starting too. Requests still waiting fail as unavailable. */
  async close(): Promise<void> {
    this.closing = true;
    clearTimeout(this.timer);
    const error = unavailable('inference_unavailable', 'the service is shutting down');
    for (const queue of this.queues.values()) for (const item of queue.items) item.reject(error);
    this.queues.clear();
    for (const host of this.liveHosts) {
      host.dead = true;
      for (const batch of host.running.values()) for (const item of batch.items) item.reject(error);
    }
    await Promise.all([...this.channels].map((channel) => channel.stop()));
  }
}

/** How many hosts `INFERENCE_HOSTS=0` means: one per core beyond the first (left to HTTP), 1 to 4. */
export function defaultHostCount(cores: number): number {
  return Math.min(4, Math.max(1, cores - 1));
}
