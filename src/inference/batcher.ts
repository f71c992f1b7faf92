import { unavailable } from '../errors.js';
import type { ModelVersion, ServedModel } from './model-version.js';

/** A host is sent at most this many batches ahead: one running, one ready to start when it ends. */
export const HOST_DEPTH = 2;

/** Scores flattened, `classes` per instance. */
export interface Scores {
  scores: Float32Array;
  classes: number;
}

/** One request (or chunk of one) waiting in a batch. */
export interface Item {
  input: Float32Array;
  count: number;
  at: number;
  resolve: (result: Scores) => void;
  reject: (error: Error) => void;
}

/** Requests for one model version, sent to a host as one `model.predict`. */
export interface Batch {
  model: ServedModel;
  items: Item[];
  count: number;
  /** The items' inputs, one after the other, in a buffer of its own (it is transferred to the host). */
  input: Float32Array<ArrayBuffer>;
}

/** The requests waiting for one model version. */
interface ModelQueue {
  model: ServedModel;
  items: Item[];
  count: number;
}

/** Where batches go: the host for a model, how many batches it runs, and sending one there. */
export interface BatchTarget<H> {
  hostFor(model: ServedModel): H | undefined;
  inFlight(host: H): number;
  send(host: H, batch: Batch): void;
}

export interface BatcherOptions {
  maxBatch: number;
  maxWaitMs: number;
}

export const hostsGone = () =>
  unavailable('inference_unavailable', 'no inference host is running at the moment; retry shortly');

/**
 * Coalesces requests per model version into batches of up to `maxBatch` instances. A batch goes as soon as it is
 * full, or once its first request has waited `maxWaitMs` and its host is free (or other models are waiting for the
 * same host: then the longest-waiting goes first, so no model starves another).
 */
export class Batcher<H> {
  private readonly queues = new Map<string, ModelQueue>();
  private timer: NodeJS.Timeout | undefined;
  private timerAt = Infinity;
  /** Instances waiting in a queue, not yet sent to a host. */
  waiting = 0;

  constructor(
    private readonly options: BatcherOptions,
    private readonly target: BatchTarget<H>,
  ) {}

  /** Queues `count` instances (one chunk, at most `maxBatch`); they go with the next `pump` that finds them due. */
  enqueue(model: ServedModel, input: Float32Array, count: number): Promise<Scores> {
    return new Promise<Scores>((resolve, reject) => {
      let queue = this.queues.get(model.key);
      if (!queue) {
        queue = { model, items: [], count: 0 };
        this.queues.set(model.key, queue);
      }
      queue.items.push({ input, count, at: performance.now(), resolve, reject });
      queue.count += count;
      this.waiting += count;
    });
  }

  /** Sends every batch that is due to a host that can take it; arms a timer for the next one that will be. */
  pump(): void {
    if (this.queues.size === 0) return;
    const byHost = new Map<H, ModelQueue[]>();
    const homeless: ModelQueue[] = [];
    for (const queue of this.queues.values()) {
      const host = this.target.hostFor(queue.model);
      if (host === undefined) homeless.push(queue);
      else if (byHost.has(host)) byHost.get(host)!.push(queue);
      else byHost.set(host, [queue]);
    }
    // With no host left (all died and none has started again yet), waiting requests fail rather than hang.
    if (homeless.length > 0) this.failWaiting(homeless, hostsGone());
    const now = performance.now();
    let wake = Infinity;
    for (const [host, waiting] of byHost) wake = Math.min(wake, this.fill(host, waiting, now));
    // A Map may lose entries while it is walked.
    for (const [key, queue] of this.queues) if (queue.items.length === 0) this.queues.delete(key);
    if (wake < Infinity && wake < this.timerAt) this.wakeAt(wake, now);
  }

  /** Sends a host the batches due for it, up to its depth; returns when the next one will be due (or Infinity). */
  private fill(host: H, waiting: ModelQueue[], now: number): number {
    const { maxBatch, maxWaitMs } = this.options;
    while (this.target.inFlight(host) < HOST_DEPTH) {
      const ready = waiting.filter((queue) => queue.items.length > 0);
      if (ready.length === 0) break;
      ready.sort((a, b) => a.items[0]!.at - b.items[0]!.at);
      const oldest = ready[0]!;
      const due = oldest.items[0]!.at + maxWaitMs;
      const idle = this.target.inFlight(host) === 0;
      // The longest-waiting model goes first once due; a busy host takes a partial batch only when other models
      // wait for it too, so a lone model's batch keeps filling while its last one runs.
      const chosen =
        oldest.count >= maxBatch || (due <= now && (idle || ready.length > 1))
          ? oldest
          : ready.find((queue) => queue.count >= maxBatch);
      if (!chosen) return idle || ready.length > 1 ? due : Infinity;
      this.dispatch(chosen, host);
    }
    return Infinity;
  }

  private wakeAt(wake: number, now: number) {
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

  /** Takes the first requests of a queue that fit in one batch and sends them to `host`. */
  private dispatch(queue: ModelQueue, host: H) {
    const items: Item[] = [];
    let count = 0;
    while (queue.items.length > 0 && count + queue.items[0]!.count <= this.options.maxBatch) {
      const item = queue.items.shift()!;
      items.push(item);
      count += item.count;
    }
    queue.count -= count;
    this.waiting -= count;
    const input = new Float32Array(items.reduce((n, item) => n + item.input.length, 0));
    let offset = 0;
    for (const item of items) {
      input.set(item.input, offset);
      offset += item.input.length;
    }
    this.target.send(host, { model: queue.model, items, count, input });
  }

  /** Fails every request waiting in `queues`. */
  private failWaiting(queues: Iterable<ModelQueue>, error: Error) {
    for (const queue of queues) {
      this.waiting -= queue.count;
      for (const item of queue.items) item.reject(error);
      this.queues.delete(queue.model.key);
    }
  }

  /**
   * Sends every request waiting for a version that `matches` now, whatever the batching policy, so that they are
   * answered before the version is dropped; they fail if no host can take them.
   */
  flush(matches: (version: ModelVersion) => boolean): void {
    for (const queue of [...this.queues.values()]) {
      if (!matches(queue.model.version)) continue;
      const host = this.target.hostFor(queue.model);
      if (host === undefined) {
        this.failWaiting([queue], hostsGone());
        continue;
      }
      while (queue.items.length > 0) this.dispatch(queue, host);
      this.queues.delete(queue.model.key);
    }
  }

  /** Stops the timer and fails every waiting request with `error`. */
  close(error: Error): void {
    clearTimeout(this.timer);
    this.failWaiting([...this.queues.values()], error);
  }
}
