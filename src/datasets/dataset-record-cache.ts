import { LRUCache } from 'lru-cache';
import { DELETING_TTL_SECONDS } from '../queue/catalogue.js';
import type { Dataset, DatasetStore } from './dataset-store.js';

/** Records kept at once: each is a few hundred bytes. */
const MAX_RECORDS = 10_000;
/**
 * How long a record is kept. Another API instance may delete the dataset meanwhile, unseen here: what keeps a job
 * off it then is the deleting marker its submission checks (see ResourceGuard), which outlives the deletion by
 * DELETING_TTL_SECONDS. A record cached here expires well before that marker does.
 */
const TTL_MS = Math.min(10 * 60_000, (DELETING_TTL_SECONDS * 1000) / 4);

/** Freezes a record and all it holds: a shared record changed by mistake throws, rather than changing for all. */
function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/**
 * Dataset records as job submission reads them, kept in memory by tenant and id: a record never changes once
 * stored, so only found ones are kept, and a delete made here forgets its record at once. Only for submission,
 * whose resource claim refuses a dataset being deleted; reads that answer a client go to the store.
 * The records handed out are shared, and frozen.
 */
export class DatasetRecordCache {
  private readonly records = new LRUCache<string, Dataset>({ max: MAX_RECORDS, ttl: TTL_MS });

  constructor(private readonly datasets: Pick<DatasetStore, 'get'>) {}

  async get(tenant: string, id: string): Promise<Dataset | undefined> {
    const key = `${tenant}\n${id}`;
    const cached = this.records.get(key);
    if (cached) return cached;
    const found = await this.datasets.get(tenant, id);
    if (found) this.records.set(key, deepFreeze(found));
    return found;
  }

  /** Drops a dataset's record, before and after it is deleted. */
  forget(tenant: string, id: string): void {
    this.records.delete(`${tenant}\n${id}`);
  }
}
