import type { Config } from '../config.js';
import { storeUnavailable } from '../errors.js';
import type { BlobStore } from './blob-store.js';
import { FsStore } from './fs-store.js';
import { parseS3Url, S3Store } from './s3-store.js';

type StoreConfig = Pick<
  Config,
  | 'DATA_DIR'
  | 'STORE_URL'
  | 'S3_ENDPOINT'
  | 'S3_REGION'
  | 'S3_FORCE_PATH_STYLE'
  | 'S3_ACCESS_KEY_ID'
  | 'S3_SECRET_ACCESS_KEY'
>;

/**
 * A store whose failures are `store_unavailable` problems (503 in the API; a job retries them). The stores answer
 * a missing object themselves, so whatever they throw is an outage: unreachable, refused, out of space.
 */
function reportingOutages(store: BlobStore): BlobStore {
  const guard =
    <A extends unknown[], R>(operation: (...args: A) => Promise<R>) =>
    async (...args: A): Promise<R> => {
      try {
        return await operation(...args);
      } catch (error) {
        throw storeUnavailable(error);
      }
    };
  return {
    put: guard((key, body) => store.put(key, body)),
    get: guard((key) => store.get(key)),
    list: guard((prefix) => store.list(prefix)),
    delete: guard((key) => store.delete(key)),
    deletePrefix: guard((prefix) => store.deletePrefix(prefix)),
    check: () => store.check(),
  };
}

/**
 * The blob store the configuration names: a directory under DATA_DIR, or an S3-compatible store (`STORE_URL`).
 * Every process (API, worker, training and inference hosts) opens it here.
 */
export function openStore(config: StoreConfig): BlobStore {
  return reportingOutages(config.STORE_URL ? openS3Store(config) : new FsStore(config.DATA_DIR));
}

function openS3Store(config: StoreConfig): BlobStore {
  return new S3Store({
    ...parseS3Url(config.STORE_URL),
    endpoint: config.S3_ENDPOINT || undefined,
    region: config.S3_REGION,
    forcePathStyle: config.S3_FORCE_PATH_STYLE,
    credentials: config.S3_ACCESS_KEY_ID
      ? { accessKeyId: config.S3_ACCESS_KEY_ID, secretAccessKey: config.S3_SECRET_ACCESS_KEY }
      : undefined,
  });
}
