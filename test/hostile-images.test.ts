import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { assertProblem, buildApp } from './helpers/app.js';
import { fashionImages, tarOf, zipOf, type ArchiveFile } from './helpers/archives.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { pngDeclaring } from './helpers/images.js';
import { listen } from './helpers/processes.js';

const MiB = 1024 * 1024;
/** Small limits, so that each hostile archive is small to make and quick to refuse. */
const LIMITS = {
  DATASET_ARCHIVE_MAX_BYTES: 4 * MiB,
  DATASET_IMAGE_MAX_ENTRIES: 500,
  DATASET_IMAGE_MAX_DECOMPRESSED_BYTES: 16 * MiB,
  DATASET_IMAGE_MAX_FILE_BYTES: 2 * MiB,
  DATASET_IMAGE_MAX_PIXELS: 4_000_000,
  DATASET_IMAGE_MAX_STORED_BYTES: 8 * MiB,
};

type Archiver = (files: ArchiveFile[]) => Promise<Buffer>;
const ARCHIVERS: Array<[string, string, Archiver]> = [
  ['zip', 'application/zip', async (files) => zipOf(files)],
  ['tar.gz', 'application/gzip', (files) => tarOf(files, { gzip: true })],
];

describe('hostile image archives', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let good: ArchiveFile[];

  const upload = (payload: Buffer, contentType: string, query = '') =>
    fastify.inject({
      method: 'POST',
      url: `/v1/datasets${query}`,
      headers: { 'content-type': contentType },
      payload,
    });
  /** Asserts the problem names the entry, and returns it. */
  const refused = async (
    payload: Buffer,
    contentType: string,
    status: number,
    code: string,
    entry?: string,
  ) => {
    const problem = assertProblem(await upload(payload, contentType), status, code);
    if (entry !== undefined) {
      assert.equal(problem.entry, entry, problem.detail);
      assert.ok(problem.detail.includes(entry), problem.detail);
    }
    return problem;
  };

  before(async () => {
    env = await createTestEnv('hostile-images', LIMITS);
    fastify = await buildApp(env.config);
    const fashion = await fashionImages(2);
    good = fashion.slice(0, 6);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  for (const [kind, contentType, archive] of ARCHIVERS) {
    describe(kind, () => {
      it('paths escaping the archive root, relative or absolute, are 400 naming the entry', async () => {
        for (const name of ['../x.png', 'bag/../../x.png', '/etc/x.png']) {
          const problem = await refused(
            await archive([...good, { name, data: good[0]!.data }]),
            contentType,
            400,
            'invalid_dataset',
            name,
          );
          assert.match(problem.detail, /escapes the archive root|absolute path/);
        }
      });

      it('a file that is no image, a truncated image and an SVG are 400 naming the entry', async () => {
        const notes = { name: 'bag/notes.txt', data: Buffer.from('these are not pixels') };
        assert.match(
          (await refused(await archive([...good, notes]), contentType, 400, 'invalid_dataset', notes.name))
            .detail,
          /not an image/,
        );
        const cut = { name: 'bag/cut.png', data: good[0]!.data!.subarray(0, good[0]!.data!.byteLength - 60) };
        assert.match(
          (await refused(await archive([...good, cut]), contentType, 400, 'invalid_dataset', cut.name))
            .detail,
          /cannot be decoded/,
        );
        const svg = {
          name: 'bag/x.svg',
          data: Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"/>'),
        };
        assert.match(
          (await refused(await archive([...good, svg]), contentType, 400, 'invalid_dataset', svg.name))
            .detail,
          /is svg/,
        );
      });

      it('a decompression bomb (a small PNG declaring 30000x30000) is 413 image_too_large before it is decoded', async () => {
        const bomb = { name: 'bag/bomb.png', data: pngDeclaring(30000, 30000) };
        assert.ok(bomb.data.byteLength < 1000);
        const problem = await refused(
          await archive([...good, bomb]),
          contentType,
          413,
          'image_too_large',
          bomb.name,
        );
        assert.equal(problem.setting, 'DATASET_IMAGE_MAX_PIXELS');
        assert.match(problem.detail, /30000×30000/);
      });

      it('an archive bomb (a small archive of 64 MiB decompressed) is 413 archive_too_large', async () => {
        const payload = await archive([...good, { name: 'bag/zeros.png', data: Buffer.alloc(64 * MiB) }]);
        assert.ok(payload.byteLength < MiB);
        const problem = await refused(payload, contentType, 413, 'archive_too_large', 'bag/zeros.png');
        assert.equal(problem.setting, 'DATASET_IMAGE_MAX_DECOMPRESSED_BYTES');
      });

      it('a single class is 400 naming its folder', async () => {
        const one = good.map((file, i) => ({ ...file, name: `bag/${i}.png` }));
        const problem = await refused(await archive(one), contentType, 400, 'invalid_dataset', 'bag/');
        assert.match(problem.detail, /at least 2 classes/);
      });

      it('too many entries is 413 archive_too_large', async () => {
        const many = Array.from({ length: 501 }, (_, i) => ({ name: `junk/.${i}`, data: Buffer.from('x') }));
        const problem = await refused(
          await archive([...good, ...many]),
          contentType,
          413,
          'archive_too_large',
        );
        assert.equal(problem.setting, 'DATASET_IMAGE_MAX_ENTRIES');
      });

      it('an image file over DATASET_IMAGE_MAX_FILE_BYTES is 413 image_too_large', async () => {
        const big = { name: 'bag/big.png', data: Buffer.alloc(3 * MiB) };
        const problem = await refused(
          await archive([...good, big]),
          contentType,
          413,
          'image_too_large',
          big.name,
        );
        assert.equal(problem.setting, 'DATASET_IMAGE_MAX_FILE_BYTES');
      });

      it('stored pixels over DATASET_IMAGE_MAX_STORED_BYTES is 413 archive_too_large', async () => {
        const problem = assertProblem(
          await upload(await archive(good), contentType, '?size=1000x1000&channels=3'),
          413,
          'archive_too_large',
        );
        assert.equal(problem.setting, 'DATASET_IMAGE_MAX_STORED_BYTES');
        assert.ok(typeof problem.entry === 'string');
      });
    });
  }

  it('a zip whose headers understate an entry (64 MiB inflated from one declaring 1000 bytes) is 400 naming it', async () => {
    const liar = { name: 'bag/liar.png', data: Buffer.alloc(64 * MiB), declaredSize: 1000 };
    const problem = await refused(
      zipOf([...good, liar]),
      'application/zip',
      400,
      'invalid_dataset',
      liar.name,
    );
    assert.match(problem.detail, /declared size/);
  });

  it('a gzip bomb in an entry that is skipped, never read, is stopped as it streams', async () => {
    const payload = await tarOf([...good, { name: 'bag/.zeros', data: Buffer.alloc(64 * MiB) }], {
      gzip: true,
    });
    assert.ok(payload.byteLength < MiB);
    const problem = await refused(payload, 'application/gzip', 413, 'archive_too_large', 'bag/.zeros');
    assert.equal(problem.setting, 'DATASET_IMAGE_MAX_DECOMPRESSED_BYTES');
  });

  it('an archive over DATASET_ARCHIVE_MAX_BYTES is 413 archive_too_large, whatever its kind', async () => {
    // Five files of 1 MiB that do not compress, each under the file limit.
    const noise = Array.from({ length: 5 }, (_, i) => ({
      name: `bag/noise-${i}.png`,
      data: randomBytes(MiB),
    }));
    for (const [, contentType, archive] of ARCHIVERS) {
      const problem = await refused(
        await archive([...good, ...noise]),
        contentType,
        413,
        'archive_too_large',
      );
      assert.equal(problem.setting, 'DATASET_ARCHIVE_MAX_BYTES');
    }
  });

  it('over a real connection, an archive past the limit gets its 413 whether its length is declared or not', async () => {
    const noise = Array.from({ length: 24 }, (_, i) => ({
      name: `bag/noise-${i}.png`,
      data: randomBytes(MiB),
    }));
    const body = zipOf([...good, ...noise]);
    const { server, base } = await listen(env.config);
    try {
      for (const streamed of [false, true]) {
        const response = await fetch(`${base}/v1/datasets`, {
          method: 'POST',
          headers: { 'content-type': 'application/zip' },
          body: streamed ? (Readable.toWeb(Readable.from([body])) as ReadableStream) : body,
          duplex: 'half',
        });
        const problem = (await response.json()) as { code: string; setting: string };
        assert.equal(response.status, 413, JSON.stringify(problem));
        assert.equal(problem.code, 'archive_too_large');
        assert.equal(problem.setting, 'DATASET_ARCHIVE_MAX_BYTES');
      }
      assert.equal((await fetch(`${base}/health`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('bodies that are not archives, or are empty, are 400', async () => {
    assert.match(
      (await refused(Buffer.from('not a zip at all'), 'application/zip', 400, 'invalid_dataset')).detail,
      /not a zip/,
    );
    assert.match(
      (await refused(Buffer.from('not a tar'.repeat(100)), 'application/x-tar', 400, 'invalid_dataset'))
        .detail,
      /not a tar/,
    );
    const cut = await tarOf(good, { gzip: true });
    assert.match(
      (await refused(cut.subarray(0, cut.byteLength / 2), 'application/gzip', 400, 'invalid_dataset')).detail,
      /gzip|tar/,
    );
    for (const type of ['application/zip', 'application/x-tar']) {
      assert.match((await refused(Buffer.alloc(0), type, 400, 'invalid_dataset')).detail, /empty/);
    }
  });

  it('the service stays healthy and takes a good archive afterwards', async () => {
    assert.equal((await fastify.inject({ url: '/health' })).statusCode, 200);
    const response = await upload(zipOf(good), 'application/zip');
    assert.equal(response.statusCode, 201, response.body);
  });
});
