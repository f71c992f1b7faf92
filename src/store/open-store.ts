import type { Config } from '../config.js';
import type { BlobStore } from './blob-store.js';
import { FsStore } from './fs-store.js';

/** The blob store the configuration names; every process (API, worker, training and inference hosts) opens it here. */
export function openStore(config: Pick<Config, 'DATA_DIR'>): BlobStore {
  return new FsStore(config.DATA_DIR);
}
