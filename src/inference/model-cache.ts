import type * as tf from '@tensorflow/tfjs';
import { LRUCache } from 'lru-cache';

interface Entry {
  model: tf.LayersModel;
  users: number;
  evicted: boolean;
}

/**
 * Loaded models, least recently used first out, bounded by bytes. A model is disposed once it is both out of
 * the cache (evicted, deleted, or too large to cache at all) and no prediction is using it; concurrent requests
 * for a model that is loading share one load.
 */
export class ModelCache {
  private readonly cache: LRUCache<string, Entry>;
  private readonly loading = new Map<string, Promise<Entry>>();

  constructor(maxBytes: number) {
    this.cache = new LRUCache<string, Entry>({
      maxSize: Math.max(maxBytes, 1),
      sizeCalculation: (entry) => Math.max(entry.model.countParams() * 4, 1),
      dispose: (entry) => ModelCache.release(entry, true),
    });
  }

  private static release(entry: Entry, evicted: boolean): void {
    entry.evicted ||= evicted;
    if (entry.evicted && entry.users === 0) entry.model.dispose();
  }

  get size(): number {
    return this.cache.size;
  }

  /** Runs `use` with the model under `key`, loading it with `load` when it is not cached. */
  async with<T>(
    key: string,
    load: () => Promise<tf.LayersModel>,
    use: (model: tf.LayersModel) => T,
  ): Promise<T> {
    let entry = this.cache.get(key);
    if (!entry) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = load().then((model) => {
          const loaded: Entry = { model, users: 0, evicted: false };
          this.cache.set(key, loaded);
          // Too large for the cache: it serves the requests waiting for it, then goes.
          if (this.cache.get(key) !== loaded) loaded.evicted = true;
          return loaded;
        });
        this.loading.set(key, pending);
        void pending.finally(() => this.loading.delete(key)).catch(() => {});
      }
      entry = await pending;
    }
    entry.users += 1;
    try {
      return use(entry.model);
    } finally {
      entry.users -= 1;
      ModelCache.release(entry, false);
    }
  }

  /** Drops every cached model whose key starts with `prefix`. */
  deletePrefix(prefix: string): void {
    for (const key of [...this.cache.keys()]) if (key.startsWith(prefix)) this.cache.delete(key);
  }

  clear(): void {
    this.cache.clear();
  }
}
