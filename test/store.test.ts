import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import S3rver from 's3rver';
import { ModelStore } from '../src/models/model-store.js';
import type { BlobStore } from '../src/store/blob-store.js';
import { openStore } from '../src/store/open-store.js';
import { parseS3Url } from '../src/store/s3-store.js';
import { loadSerialized, smallCnn } from './helpers/tf-model.js';

const BUCKET = 'finetuned-test';

/** The same behaviour from every store: what the datasets, models and checkpoints rely on. */
function storeContract(name: string, open: () => Promise<{ store: BlobStore; close: () => Promise<void> }>) {
  describe(`${name}: the blob store contract`, () => {
    let store: BlobStore;
    let close: () => Promise<void>;

    before(async () => {
      ({ store, close } = await open());
    });

    after(async () => {
      await close?.();
    });

    it('reads back what it stored, text and bytes, and the newest write of a key', async () => {
      await store.put('t/a/one.json', '{"v":1}');
      await store.put('t/a/two.bin', new Uint8Array([0, 1, 2, 255]));
      assert.equal((await store.get('t/a/one.json'))?.toString('utf8'), '{"v":1}');
      assert.deepEqual([...(await store.get('t/a/two.bin'))!], [0, 1, 2, 255]);
      await store.put('t/a/one.json', '{"v":2}');
      assert.equal((await store.get('t/a/one.json'))?.toString('utf8'), '{"v":2}');
      await store.put('t/a/empty', '');
      assert.equal((await store.get('t/a/empty'))?.byteLength, 0);
    });

    it('has nothing under a key never written', async () => {
      assert.equal(await store.get('t/none/here'), undefined);
      assert.deepEqual(await store.list('t/none'), []);
    });

    it('lists the names directly below a prefix, objects and sub-prefixes, sorted', async () => {
      await store.put('t/l/b/x', '1');
      await store.put('t/l/a', '2');
      await store.put('t/l/c/y/z', '3');
      await store.put('t/lx/other', '4');
      assert.deepEqual(await store.list('t/l'), ['a', 'b', 'c']);
      assert.deepEqual(await store.list('t/l/c'), ['y']);
    });

    it('deletes one object, and a missing one quietly', async () => {
      await store.put('t/d/gone', 'x');
      await store.delete('t/d/gone');
      assert.equal(await store.get('t/d/gone'), undefined);
      await store.delete('t/d/never');
    });

    it('deletes everything under a prefix and nothing beside it', async () => {
      for (let i = 0; i < 25; i++) await store.put(`t/p/job/${String(i).padStart(3, '0')}`, String(i));
      await store.put('t/p/job/deep/er', 'x');
      await store.put('t/p/jobs-sibling', 'kept');
      await store.deletePrefix('t/p/job');
      assert.deepEqual(await store.list('t/p/job'), []);
      assert.equal((await store.get('t/p/jobs-sibling'))?.toString('utf8'), 'kept');
    });

    it('keeps a model whole: stored through the ModelStore, it loads with the same weights', async () => {
      const model = smallCnn();
      const files = await ModelStore.serialize(model, { labels: ['x'] });
      const models = new ModelStore(store);
      const record = { id: 'mdl_01hzzzzzzzzzzzzzzzzzzzzzzz' } as Parameters<ModelStore['create']>[1];
      await models.create('default', record, files);
      const loaded = await models.load('default', record.id);
      const expected = await loadSerialized(files);
      try {
        const [a, b] = [loaded.getWeights(), expected.getWeights()];
        assert.equal(a.length, b.length);
        a.forEach((weight, i) => assert.deepEqual(weight.dataSync(), b[i]!.dataSync()));
      } finally {
        loaded.dispose();
        expected.dispose();
        model.dispose();
      }
    });

    it('answers its health check', async () => {
      await store.check();
    });
  });
}

storeContract('filesystem', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-store-'));
  return {
    store: openStore({ ...s3Off(), DATA_DIR: dir }),
    close: () => fs.rm(dir, { recursive: true, force: true }),
  };
});

storeContract('S3-compatible (a local s3rver)', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-s3-'));
  const server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    configureBuckets: [{ name: BUCKET, configs: [] }],
  });
  const { port } = await server.run();
  const store = openStore({
    ...s3Off(),
    DATA_DIR: dir,
    STORE_URL: `s3://${BUCKET}/under/a/prefix`,
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_FORCE_PATH_STYLE: true,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
  });
  return {
    store,
    close: async () => {
      await server.close();
      await fs.rm(dir, { recursive: true, force: true });
    },
  };
});

describe('STORE_URL', () => {
  it('names a bucket and an optional prefix', () => {
    assert.deepEqual(parseS3Url('s3://models-prod'), { bucket: 'models-prod', prefix: '' });
    assert.deepEqual(parseS3Url('s3://models-prod/a/b/'), { bucket: 'models-prod', prefix: 'a/b' });
    assert.throws(() => parseS3Url('s3://x'), /is not s3:\/\/bucket/);
    assert.throws(() => parseS3Url('https://models-prod'), /is not s3:\/\/bucket/);
  });
});

/** The store settings of a configuration that names no S3 store. */
function s3Off() {
  return {
    STORE_URL: '',
    S3_ENDPOINT: '',
    S3_REGION: 'us-east-1',
    S3_FORCE_PATH_STYLE: false,
    S3_ACCESS_KEY_ID: '',
    S3_SECRET_ACCESS_KEY: '',
  };
}
