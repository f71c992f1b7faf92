/**
 * Durable storage of datasets, models and training checkpoints. Keys are `/`-separated paths made only from
 * validated ids; implementations: the local filesystem here, an S3-compatible store beside it.
 */
export interface BlobStore {
  /** Writes atomically: readers see the old object or the new one, never a part. */
  put(key: string, body: Uint8Array | string): Promise<void>;
  /** The object, or undefined when there is none. */
  get(key: string): Promise<Buffer | undefined>;
  /** Names directly below `prefix` (objects and sub-prefixes), sorted. */
  list(prefix: string): Promise<string[]>;
  /** Deletes one object; nothing happens when there is none. */
  delete(key: string): Promise<void>;
  /** Deletes every object under `prefix`. */
  deletePrefix(prefix: string): Promise<void>;
  /** Throws when the store cannot be reached. */
  check(): Promise<void>;
}

const SAFE_SEGMENT = /^[A-Za-z0-9][A-Za-z0-9._-]*$/;

/** Joins key segments, refusing any that could escape the store's root. */
export function storeKey(...segments: string[]): string {
  for (const segment of segments) {
    if (!SAFE_SEGMENT.test(segment) || segment.includes('..'))
      throw new Error(`unsafe store key segment '${segment}'`);
  }
  return segments.join('/');
}

export interface Page {
  limit: number;
  /** The last id of the previous page. */
  cursor?: string;
}

/**
 * One page of the names directly below `prefix`, newest first (resource ids sort by creation time), with the
 * cursor of the next page, or null when this is the last.
 */
export async function listPage(
  store: BlobStore,
  prefix: string,
  page: Page,
): Promise<{ ids: string[]; nextCursor: string | null }> {
  const newestFirst = (await store.list(prefix)).reverse();
  const start = page.cursor ? newestFirst.findIndex((id) => id < page.cursor!) : 0;
  const ids = start < 0 ? [] : newestFirst.slice(start, start + page.limit);
  const more = start >= 0 && start + page.limit < newestFirst.length;
  return { ids, nextCursor: more ? ids.at(-1)! : null };
}
