import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import type { Dataset } from '../src/datasets/dataset-store.js';
import { assertProblem, buildApp, uploadCsv } from './helpers/app.js';
import { fashionClasses, fashionImages, tarOf, zipOf, type ArchiveFile } from './helpers/archives.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { grayAlphaPng, jpegWithOrientation, maxDifference, pixelsOf, twoFrameGif } from './helpers/images.js';
import { listen } from './helpers/processes.js';
import { sha256 } from './helpers/tf-model.js';

describe('image datasets', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let fashion: ArchiveFile[];
  let classes: string[];

  const upload = (payload: Buffer, contentType = 'application/zip', query = '') =>
    fastify.inject({
      method: 'POST',
      url: `/v1/datasets${query}`,
      headers: { 'content-type': contentType },
      payload,
    });
  const created = async (payload: Buffer, contentType?: string, query?: string) => {
    const response = await upload(payload, contentType, query);
    assert.equal(response.statusCode, 201, response.body);
    return response.json<Dataset>();
  };
  /** A few fixture pictures per class, as files under other names. */
  const picked = (perClass: number) =>
    classes.flatMap((label) =>
      fashion.filter((file) => file.name.startsWith(`${label}/`)).slice(0, perClass),
    );

  before(async () => {
    env = await createTestEnv('images');
    fastify = await buildApp(env.config);
    fashion = await fashionImages();
    classes = await fashionClasses();
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('stores a zip of real Fashion-MNIST PNGs in class folders: record, pixels and labels as the files hold them', async () => {
    const archive = zipOf(fashion);
    const dataset = await created(archive, 'application/zip', '?name=fashion');
    assert.equal(dataset.format, 'zip');
    assert.equal(dataset.kind, 'image');
    assert.equal(dataset.name, 'fashion');
    assert.equal(dataset.rows, 300);
    assert.deepEqual(dataset.featureShape, [28, 28, 1]);
    assert.deepEqual(dataset.labels, classes);
    assert.deepEqual(dataset.labelCounts, Object.fromEntries(classes.map((label) => [label, 30])));
    assert.deepEqual(dataset.skipped, { count: 0, entries: [] });
    assert.equal(dataset.sha256, sha256(archive));
    assert.equal(dataset.sizeBytes, archive.byteLength);

    const read = await fastify.inject({ url: `/v1/datasets/${dataset.id}` });
    assert.deepEqual(read.json(), dataset);

    // One uint8 array [N, H, W, C] in archive order, each image as sharp decodes its file.
    const images = await fastify.datasets.loadImages('default', dataset.id);
    assert.deepEqual(images.shape, [300, 28, 28, 1]);
    assert.equal(images.pixels.byteLength, 300 * 28 * 28);
    for (const row of [0, 41, 299]) {
      const expected = await pixelsOf(fashion[row]!.data!);
      assert.deepEqual(Buffer.from(images.pixels.subarray(row * 784, (row + 1) * 784)), expected.data);
      assert.equal(images.labels[images.labelIndex[row]!], fashion[row]!.name.split('/')[0]);
    }
    // Training reads the same values as float32 features.
    const data = await fastify.datasets.load('default', dataset.id);
    assert.equal(data.features.length, 300 * 784);
    assert.equal(data.features[784 * 41 + 400], images.pixels[784 * 41 + 400]);
    assert.deepEqual(data.labelIndex, images.labelIndex);
  });

  it('streams a tar.gz to a listening API, chunk by chunk, and stays healthy', async () => {
    const archive = await tarOf(fashion, { gzip: true });
    const { server, base } = await listen(env.config);
    try {
      const chunks = Array.from({ length: Math.ceil(archive.byteLength / 4096) }, (_, i) =>
        archive.subarray(i * 4096, (i + 1) * 4096),
      );
      const response = await fetch(`${base}/v1/datasets?name=tgz`, {
        method: 'POST',
        headers: { 'content-type': 'application/gzip' },
        body: Readable.toWeb(Readable.from(chunks)) as ReadableStream,
        duplex: 'half',
      });
      const dataset = (await response.json()) as Dataset;
      assert.equal(response.status, 201, JSON.stringify(dataset));
      assert.equal(dataset.format, 'tar');
      assert.equal(dataset.rows, 300);
      assert.deepEqual(dataset.featureShape, [28, 28, 1]);
      assert.equal(dataset.sha256, sha256(archive));
      assert.equal((await fetch(`${base}/health`)).status, 200);
    } finally {
      await server.close();
    }
  });

  it('a plain tar holds the same pixels as the zip', async () => {
    const files = picked(3);
    const [fromZip, fromTar] = await Promise.all([
      created(zipOf(files)),
      created(await tarOf(files), 'application/x-tar'),
    ]);
    const [a, b] = await Promise.all([
      fastify.datasets.loadImages('default', fromZip.id),
      fastify.datasets.loadImages('default', fromTar.id),
    ]);
    assert.deepEqual(Buffer.from(b.pixels), Buffer.from(a.pixels));
    assert.deepEqual(b.labelIndex, a.labelIndex);
  });

  it('nested folders: the top folder is the label', async () => {
    const files = picked(2).map((file, i) => ({
      ...file,
      name: file.name.replace('/', i % 2 ? '/2020/shoot/' : '/a/'),
    }));
    const dataset = await created(zipOf(files));
    assert.deepEqual(dataset.labels, classes);
    assert.equal(dataset.rows, 20);
  });

  it('junk entries are skipped and counted with their reasons, not errors', async () => {
    const junk: ArchiveFile[] = [
      { name: '__MACOSX/bag/._00030.png', data: Buffer.from('resource fork') },
      { name: 'bag/.DS_Store', data: Buffer.from('finder') },
      { name: 'coat/Thumbs.db', data: Buffer.from('thumbs') },
      { name: 'coat/.hidden.png', data: fashion[0]!.data },
      { name: '.git/config', data: Buffer.from('[core]') },
      { name: 'README.md', data: Buffer.from('# fashion') },
      { name: 'bag/', type: 'directory' },
      { name: 'bag/link.png', type: 'symlink' },
    ];
    for (const [contentType, archive] of [
      ['application/zip', zipOf([...junk, ...picked(2)])],
      ['application/x-tar', await tarOf([...junk, ...picked(2)])],
    ] as const) {
      const dataset = await created(archive, contentType);
      assert.equal(dataset.rows, 20);
      assert.equal(dataset.skipped?.count, 7, JSON.stringify(dataset.skipped));
      const reasons = Object.fromEntries(dataset.skipped.entries.map(({ entry, reason }) => [entry, reason]));
      assert.match(reasons['__MACOSX/bag/._00030.png']!, /__MACOSX/);
      assert.match(reasons['bag/.DS_Store']!, /\.DS_Store/);
      assert.match(reasons['coat/Thumbs.db']!, /thumbnail/);
      assert.match(reasons['coat/.hidden.png']!, /hidden/);
      assert.match(reasons['README.md']!, /outside any class folder/);
      assert.match(reasons['bag/link.png']!, /not a regular file/);
    }
  });

  it('size, fit and channels set how images are stored', async () => {
    const files = picked(2);
    const contain = await created(zipOf(files), 'application/zip', '?size=32x24&fit=contain&channels=3');
    assert.deepEqual(contain.featureShape, [24, 32, 3]);
    const images = await fastify.datasets.loadImages('default', contain.id);
    assert.deepEqual(images.shape, [20, 24, 32, 3]);
    // Contained: 28×28 scaled to 24×24, centred, black bars of 4 columns either side; RGB of a grey picture.
    const rowBytes = 32 * 3;
    for (const column of [0, 3, 28, 31]) assert.equal(images.pixels[5 * rowBytes + column * 3], 0);
    const at = 12 * rowBytes + 16 * 3;
    assert.equal(images.pixels[at], images.pixels[at + 1]);
    assert.ok(images.pixels.subarray(0, 24 * rowBytes).some((value) => value > 0));

    const cover = await created(zipOf(files), 'application/zip', '?size=14x7');
    assert.deepEqual(cover.featureShape, [7, 14, 1]);

    // Different sizes without size= are refused naming the entry; with it they are resized.
    const odd = await sharp(files[1]!.data).resize(20, 28).toColourspace('b-w').png().toBuffer();
    const mixed = [files[0]!, { name: 'coat/odd.png', data: odd }, ...files.slice(2)];
    const problem = assertProblem(await upload(zipOf(mixed)), 400, 'invalid_dataset');
    assert.equal(problem.entry, 'coat/odd.png');
    assert.match(problem.detail, /20x28.*size=WxH/);
    assert.deepEqual(
      (await created(zipOf(mixed), 'application/zip', '?size=28x28')).featureShape,
      [28, 28, 1],
    );

    const refused = assertProblem(
      await upload(zipOf(files), 'application/zip', '?channels=2'),
      400,
      'validation_failed',
    );
    assert.match(refused.detail, /channels/);
    const csvOnly = assertProblem(
      await upload(zipOf(files), 'application/zip', '?labelColumn=x'),
      400,
      'invalid_dataset',
    );
    assert.match(csvOnly.detail, /labelColumn.*text\/csv/);
  });

  it('JPEG with EXIF orientation, WebP, GIF (first frame), TIFF, AVIF and grayscale+alpha PNG, made from the real pictures', async () => {
    const source = picked(1).map((file) => file.data!);
    // Pictures 28 wide and 20 high; the JPEG is stored 20 wide and 28 high, upright only once its EXIF is applied.
    const wide = await Promise.all(
      source.map((png) => sharp(png).extract({ left: 0, top: 4, width: 28, height: 20 }).png().toBuffer()),
    );
    const files: ArchiveFile[] = [
      { name: `${classes[0]}/a.jpg`, data: await jpegWithOrientation(wide[0]!) },
      { name: `${classes[1]}/b.webp`, data: await sharp(wide[1]).webp({ lossless: true }).toBuffer() },
      { name: `${classes[2]}/c.gif`, data: await twoFrameGif(wide[2]!) },
      { name: `${classes[3]}/d.tiff`, data: await sharp(wide[3]).tiff({ compression: 'lzw' }).toBuffer() },
      { name: `${classes[4]}/e.avif`, data: await sharp(wide[4]).avif({ lossless: true }).toBuffer() },
      { name: `${classes[5]}/f.png`, data: await grayAlphaPng(wide[5]!) },
    ];
    const dataset = await created(zipOf(files), 'application/zip', '?channels=1');
    assert.deepEqual(dataset.featureShape, [20, 28, 1]);
    const images = await fastify.datasets.loadImages('default', dataset.id);
    const stored = (row: number) => images.pixels.subarray(row * 560, (row + 1) * 560);
    for (const [row, tolerance] of [
      [0, 24],
      [1, 1],
      [2, 40],
      [3, 1],
      [4, 3],
    ] as const) {
      const expected = (await pixelsOf(wide[row]!)).data;
      assert.ok(
        maxDifference(stored(row), expected) <= tolerance,
        `${files[row]!.name}: ${maxDifference(stored(row), expected)}`,
      );
    }
    // Transparency flattened onto black: the left half of the gray+alpha picture is 0, the right half as drawn.
    const alpha = stored(5);
    const expected = (await pixelsOf(wide[5]!)).data;
    for (let y = 0; y < 20; y++) {
      assert.equal(alpha[y * 28 + 3], 0);
      assert.equal(alpha[y * 28 + 20], expected[y * 28 + 20]);
    }
    // Without channels=, colour files (WebP, GIF, TIFF, AVIF are RGB here) make an RGB dataset.
    assert.deepEqual((await created(zipOf(files))).featureShape, [20, 28, 3]);
  });

  it('samples: a few images per class as PNG data URLs, equal to the stored pixels', async () => {
    const dataset = await created(zipOf(fashion));
    const response = await fastify.inject({ url: `/v1/datasets/${dataset.id}/samples?limit=2` });
    assert.equal(response.statusCode, 200, response.body);
    const body = response.json<{
      featureShape: number[];
      samples: Array<{ label: string; index: number; png: string }>;
    }>();
    assert.deepEqual(body.featureShape, [28, 28, 1]);
    assert.equal(body.samples.length, 20);
    assert.deepEqual([...new Set(body.samples.map((sample) => sample.label))], classes);
    const images = await fastify.datasets.loadImages('default', dataset.id);
    for (const sample of body.samples.slice(0, 3)) {
      const png = Buffer.from(sample.png.replace(/^data:image\/png;base64,/, ''), 'base64');
      const decoded = await pixelsOf(png);
      assert.deepEqual(
        decoded.data,
        Buffer.from(images.pixels.subarray(sample.index * 784, (sample.index + 1) * 784)),
      );
      assert.equal(images.labels[images.labelIndex[sample.index]!], sample.label);
    }
    const bags = await fastify.inject({ url: `/v1/datasets/${dataset.id}/samples?label=bag` });
    assert.deepEqual(
      bags.json<typeof body>().samples.map((sample) => sample.label),
      ['bag', 'bag', 'bag', 'bag'],
    );

    const unknown = await fastify.inject({ url: `/v1/datasets/${dataset.id}/samples?label=hat` });
    assert.equal(assertProblem(unknown, 400, 'validation_failed').field, '/querystring/label');
    const tabular = await uploadCsv(fastify, digitsCsv({ labels: ['0', '1'], perClass: 3 }), 'digits');
    assert.equal(tabular.kind, 'tabular');
    assertProblem(
      await fastify.inject({ url: `/v1/datasets/${tabular.id}/samples` }),
      422,
      'not_an_image_dataset',
    );
    assertProblem(
      await fastify.inject({ url: '/v1/datasets/ds_01hzzzzzzzzzzzzzzzzzzzzzzz/samples' }),
      404,
      'dataset_not_found',
    );
  });
});
