import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { DatasetStore } from '../datasets/dataset-store.js';
import { ModelStore } from '../models/model-store.js';
import type { BlobStore } from '../store/blob-store.js';
import { openStore } from '../store/open-store.js';

declare module 'fastify' {
  interface FastifyInstance {
    blobStore: BlobStore;
    datasets: DatasetStore;
    models: ModelStore;
  }
}

/** The blob store (a directory under DATA_DIR) and the dataset and model stores on it. */
export default fp(
  async function storesPlugin(app: FastifyInstance) {
    const store = openStore(app.config);
    await store.check();
    app.decorate('blobStore', store);
    app.decorate('datasets', new DatasetStore(store));
    app.decorate('models', new ModelStore(store));
  },
  { name: 'stores', dependencies: ['config'] },
);
