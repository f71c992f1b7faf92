import { LRUCache } from 'lru-cache';
import { isVersionOf, type ModelVersion, type ServedModel } from './model-version.js';

interface Placement<H> {
  host: H;
  version: ModelVersion;
  bytes: number;
}

/** What placement needs of a host: whether it is still running. */
export interface PlacedHost {
  readonly dead: boolean;
}

/**
 * Which host holds which model version. Each version is loaded on one host; the least recently used versions are
 * evicted once the versions placed exceed `cacheBytes` across the pool, and `evicted` tells their hosts to drop
 * them.
 */
export class ModelPlacement<H extends PlacedHost> {
  private readonly placements: LRUCache<string, Placement<H>>;
  private readonly bytesOn = new Map<H, number>();

  constructor(
    private readonly cacheBytes: number,
    evicted: (host: H, key: string) => void,
  ) {
    this.placements = new LRUCache<string, Placement<H>>({
      maxSize: Math.max(cacheBytes, 1),
      sizeCalculation: (placement) => Math.max(placement.bytes, 1),
      dispose: (placement, key) => {
        this.addBytes(placement.host, -placement.bytes);
        if (!placement.host.dead) evicted(placement.host, key);
      },
    });
  }

  private addBytes(host: H, bytes: number) {
    const total = (this.bytesOn.get(host) ?? 0) + bytes;
    if (total === 0) this.bytesOn.delete(host);
    else this.bytesOn.set(host, total);
  }

  /**
   * The host a model runs on: where it is loaded, else of `live` the one holding the fewest bytes, then the one
   * running the fewest batches.
   */
  hostFor(model: ServedModel, live: H[], running: (host: H) => number): H | undefined {
    const placed = this.placements.peek(model.key);
    if (placed && !placed.host.dead) return placed.host;
    let best: H | undefined;
    let bestBytes = Infinity;
    for (const host of live) {
      const bytes = this.bytesOn.get(host) ?? 0;
      if (!best || bytes < bestBytes || (bytes === bestBytes && running(host) < running(best))) {
        best = host;
        bestBytes = bytes;
      }
    }
    return best;
  }

  /**
   * Records that a batch of `model` goes to `host`: `keep` when the model is to stay loaded there (it fits in the
   * cache), `hit` when it was loaded already. Placing a model may evict others; their hosts drop them after the
   * batches already sent.
   */
  use(model: ServedModel, host: H): { keep: boolean; hit: boolean } {
    if (model.bytes > this.cacheBytes) return { keep: false, hit: false };
    if (this.placements.get(model.key)) return { keep: true, hit: true };
    this.addBytes(host, model.bytes);
    this.placements.set(model.key, { host, version: model.version, bytes: model.bytes });
    return { keep: true, hit: false };
  }

  /** The model may not have loaded on `host`: it is not counted as placed there any more. */
  release(model: ServedModel, host: H): void {
    if (this.placements.peek(model.key)?.host === host) this.placements.delete(model.key);
  }

  /** Forgets every version placed on `host` (it died). */
  forgetHost(host: H): void {
    for (const [key, placement] of [...this.placements.entries()])
      if (placement.host === host) this.placements.delete(key);
  }

  /** Evicts every version of a model. */
  drop(tenant: string, modelId: string): void {
    for (const [key, placement] of [...this.placements.entries()])
      if (isVersionOf(placement.version, tenant, modelId)) this.placements.delete(key);
  }

  /** How many versions are placed. */
  get size(): number {
    return this.placements.size;
  }

  /** The stored size of the versions placed. */
  get bytes(): number {
    return this.placements.calculatedSize;
  }
}
