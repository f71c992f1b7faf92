import type { Config } from '../config.js';
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
 * The blob store the configuration names: a directory under DATA_DIR, or an S3-compatible store (`STORE_URL`).
 * Every process (API, worker, training and inference hosts) opens it here.
 */
export function openStore(config: StoreConfig): BlobStore {
  if (!config.STORE_URL) return new FsStore(config.DATA_DIR);
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
