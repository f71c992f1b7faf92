import type { FastifyInstance, LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Dataset } from '../src/datasets/dataset-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { sha256 } from './helpers/tf-model.js';

const MISSING_ID = 'ds_01hzzzzzzzzzzzzzzzzzzzzzzz';

describe('datasets API', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  const upload = (payload: string | Buffer, contentType: string, query = '') =>
    fastify.inject({
      method: 'POST',
      url: `/v1/datasets${query}`,
      headers: { 'content-type': contentType },
      payload,
    });

  before(async () => {
    env = await createTestEnv('datasets');
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  describe('valid uploads', () => {
    it('stores a CSV of digits with its shape, labels, counts and the sha256 of the bytes sent', async () => {
      const csv = digitsCsv({ labels: ['0', '1', '2'], perClass: 10 });
      const response = await upload(csv, 'text/csv', '?name=three%20digits');
      assert.equal(response.statusCode, 201, response.body);
      const dataset = response.json<Dataset>();
      assert.match(dataset.id, /^ds_[0-9a-z]{26}$/);
      assert.equal(response.headers.location, `/v1/datasets/${dataset.id}`);
      assert.equal(dataset.name, 'three digits');
      assert.equal(dataset.format, 'csv');
      assert.equal(dataset.rows, 30);
      assert.deepEqual(dataset.featureShape, [64]);
      assert.deepEqual(dataset.labels, ['0', '1', '2']);
      assert.deepEqual(dataset.labelCounts, { '0': 10, '1': 10, '2': 10 });
      assert.equal(dataset.sha256, sha256(csv));
      assert.equal(dataset.sizeBytes, Buffer.byteLength(csv));

      // The stored numbers are the CSV's, row by row.
      const dir = path.join(env.dataDir, 'tenants', 'default', 'datasets', dataset.id);
      const features = new Float32Array((await fs.readFile(path.join(dir, 'features.f32'))).buffer.slice(0));
      const labels = new Uint32Array((await fs.readFile(path.join(dir, 'labels.u32'))).buffer.slice(0));
      const rows = digitRows({ labels: ['0', '1', '2'], perClass: 10 });
      assert.equal(features.length, 30 * 64);
      assert.deepEqual(Array.from(features.subarray(64 * 7, 64 * 8)), rows[7]!.pixels);
      assert.deepEqual(
        Array.from(labels),
        rows.map((row) => Number(row.label)),
      );
    });

    it('stores the whole digits file: 1797 rows of 64 pixels, ten classes', async () => {
      const csv = await fs.readFile(new URL('../datasets/digits-8x8.csv', import.meta.url));
      const response = await upload(csv, 'text/csv; charset=utf-8');
      assert.equal(response.statusCode, 201, response.body);
      const dataset = response.json<Dataset>();
      assert.equal(dataset.rows, 1797);
      assert.deepEqual(dataset.featureShape, [64]);
      assert.deepEqual(dataset.labels, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
      assert.equal(
        Object.values(dataset.labelCounts).reduce((a, b) => a + b, 0),
        1797,
      );
      assert.equal(dataset.labelCounts['0'], 178);
      assert.equal(dataset.sha256, sha256(csv));
      assert.match(dataset.name, /^dataset \d{4}-/);
    });

    it('takes the label from the column that labelColumn names, wherever it is, and sorts labels numerically', async () => {
      const csv = 'a,digit,b\n1,10,2\n3,2,4\n5,9,6\n7,10,8\n';
      const response = await upload(csv, 'text/csv', '?labelColumn=digit');
      assert.equal(response.statusCode, 201, response.body);
      const dataset = response.json<Dataset>();
      assert.equal(dataset.rows, 4);
      assert.deepEqual(dataset.featureShape, [2]);
      assert.deepEqual(dataset.labels, ['2', '9', '10']);
      assert.deepEqual(dataset.labelCounts, { '2': 1, '9': 1, '10': 2 });
    });

    it('stores NDJSON rows with nested features', async () => {
      const lines = [
        {
          x: [
            [0, 1],
            [2, 3],
          ],
          y: 'cat',
        },
        {
          x: [
            [4, 5],
            [6, 7.5],
          ],
          y: 'dog',
        },
        {
          x: [
            [-1, 1e3],
            [0.5, 0],
          ],
          y: 'cat',
        },
      ];
      const body = `${lines.map((line) => JSON.stringify(line)).join('\n')}\n\n`;
      const response = await upload(body, 'application/x-ndjson');
      assert.equal(response.statusCode, 201, response.body);
      const dataset = response.json<Dataset>();
      assert.equal(dataset.format, 'ndjson');
      assert.equal(dataset.rows, 3);
      assert.deepEqual(dataset.featureShape, [2, 2]);
      assert.deepEqual(dataset.labels, ['cat', 'dog']);
      assert.deepEqual(dataset.labelCounts, { cat: 2, dog: 1 });
      assert.equal(dataset.sha256, sha256(body));
    });

    it('stores a JSON body of x rows and y labels, numbers as labels included', async () => {
      const body = JSON.stringify({
        x: [
          [1, 2, 3],
          [4, 5, 6],
          [7, 8, 9],
          [0, 0, 0],
        ],
        y: [1, 0, 1, 2],
      });
      const response = await upload(body, 'application/json');
      assert.equal(response.statusCode, 201, response.body);
      const dataset = response.json<Dataset>();
      assert.equal(dataset.format, 'json');
      assert.equal(dataset.rows, 4);
      assert.deepEqual(dataset.featureShape, [3]);
      assert.deepEqual(dataset.labels, ['0', '1', '2']);
      assert.deepEqual(dataset.labelCounts, { '0': 1, '1': 2, '2': 1 });
    });
  });

  describe('invalid CSV', () => {
    const header = 'label,a,b,c';

    it('a ragged row is a 400 naming the row and column', async () => {
      const problem = assertProblem(
        await upload(`${header}\n1,1,2,3\n2,4,5\n`, 'text/csv'),
        400,
        'invalid_dataset',
      );
      assert.equal(problem.row, 2);
      assert.equal(problem.column, 'c');
      assert.equal(problem.detail, "row 2, column 'c': has 3 columns, the header has 4");
    });

    it('a text cell among numbers is a 400 naming the row and column, and how to make it a category', async () => {
      const csv = `${header}\n1,1,2,3\n2,4,5,6\n1,7,x8,9\n`;
      const problem = assertProblem(await upload(csv, 'text/csv'), 400, 'invalid_dataset');
      assert.equal(problem.row, 3);
      assert.equal(problem.column, 'b');
      assert.match(
        problem.detail,
        /^row 3, column 'b': 'x8' mixes numbers and text in one column; .*columns=b:categorical/,
      );
    });

    it('Infinity and numbers beyond float32 are not numbers either', async () => {
      const big = assertProblem(
        await upload(`${header}\n1,1,2,3\n2,1e39,5,6\n`, 'text/csv'),
        400,
        'invalid_dataset',
      );
      assert.equal(big.row, 2);
      assert.equal(big.column, 'a');
      const inf = assertProblem(
        await upload(`${header}\n1,1,2,Infinity\n2,4,5,6\n`, 'text/csv'),
        400,
        'invalid_dataset',
      );
      assert.equal(inf.row, 1);
      assert.equal(inf.column, 'c');
    });

    it('an empty label is a 400 naming the label column', async () => {
      const problem = assertProblem(
        await upload(`${header}\n1,1,2,3\n,4,5,6\n`, 'text/csv'),
        400,
        'invalid_dataset',
      );
      assert.equal(problem.row, 2);
      assert.equal(problem.column, 'label');
      assert.equal(problem.detail, "row 2, column 'label': the label is empty");
    });

    it('a missing label column is a 400 naming the column and the header', async () => {
      const problem = assertProblem(
        await upload('digit,a,b\n1,2,3\n2,3,4\n', 'text/csv'),
        400,
        'invalid_dataset',
      );
      assert.equal(problem.column, 'label');
      assert.deepEqual(problem.header, ['digit', 'a', 'b']);
      const named = assertProblem(
        await upload('digit,a,b\n1,2,3\n2,3,4\n', 'text/csv', '?labelColumn=class'),
        400,
        'invalid_dataset',
      );
      assert.equal(named.column, 'class');
    });

    it('a dataset with one class only is a 400 naming the label column', async () => {
      const csv = digitsCsv({ labels: ['3'], perClass: 5 });
      const problem = assertProblem(await upload(csv, 'text/csv'), 400, 'invalid_dataset');
      assert.equal(problem.column, 'label');
      assert.equal(problem.detail, "a dataset needs at least 2 classes, this one has only '3'");
    });

    it('a CSV with no feature column, an overlong label, or more labels than MAX_CLASSES is a 400', async () => {
      const labelOnly = assertProblem(await upload('label\na\nb\n', 'text/csv'), 400, 'invalid_dataset');
      assert.equal(labelOnly.detail, 'the header names no feature column besides the label');
      const long = assertProblem(
        await upload(`label,a\n${'x'.repeat(201)},1\ny,2\n`, 'text/csv'),
        400,
        'invalid_dataset',
      );
      assert.equal(long.row, 1);
      assert.equal(long.detail, "row 1, column 'label': the label is longer than 200 characters");
      const many = Array.from({ length: 1001 }, (_, i) => `c${i},${i}`).join('\n');
      const tooMany = assertProblem(await upload(`label,a\n${many}\n`, 'text/csv'), 400, 'invalid_dataset');
      assert.equal(tooMany.row, 1001);
      assert.equal(tooMany.detail, "row 1001, column 'label': more than 1000 distinct labels (MAX_CLASSES)");
    });

    it('a header without rows, and an empty body, are 400s', async () => {
      const headerOnly = assertProblem(await upload(`${header}\n`, 'text/csv'), 400, 'invalid_dataset');
      assert.equal(headerOnly.detail, 'a dataset needs at least 2 rows, this one has 0');
      const empty = assertProblem(await upload('', 'text/csv'), 400, 'invalid_dataset');
      assert.equal(empty.detail, 'the body is empty');
    });

    it('labelColumn applies only to CSV', async () => {
      const body = '{"x":[1],"y":"a"}\n{"x":[2],"y":"b"}\n';
      const problem = assertProblem(
        await upload(body, 'application/x-ndjson', '?labelColumn=y'),
        400,
        'invalid_dataset',
      );
      assert.equal(problem.field, '/querystring/labelColumn');
    });

    it('unknown query parameters are a 400 naming them', async () => {
      const problem = assertProblem(
        await upload(`${header}\n1,1,2,3\n2,4,5,6\n`, 'text/csv', '?label=x'),
        400,
        'validation_failed',
      );
      assert.equal(problem.field, '/querystring/label');
    });
  });

  describe('invalid NDJSON and JSON', () => {
    it('an NDJSON line that is not JSON is a 400 naming its row', async () => {
      const body = '{"x":[1,2],"y":"a"}\n{"x":[3,4],"y":"b"\n';
      const problem = assertProblem(await upload(body, 'application/x-ndjson'), 400, 'invalid_dataset');
      assert.equal(problem.row, 2);
      assert.equal(problem.column, null);
      assert.equal(problem.detail, 'row 2: the line is not valid JSON');
    });

    it('an NDJSON row of another shape is a 400 naming the row and the element', async () => {
      const body = [
        '{"x":[[1,2],[3,4]],"y":"a"}',
        '{"x":[[1,2],[3,4]],"y":"b"}',
        '{"x":[[1,2],[3]],"y":"a"}',
      ].join('\n');
      const problem = assertProblem(await upload(body, 'application/x-ndjson'), 400, 'invalid_dataset');
      assert.equal(problem.row, 3);
      assert.equal(problem.column, 'x[1]');
      assert.match(
        problem.detail,
        /expected an array of length 2 \(feature shape \[2, 2\]\), got an array of length 1/,
      );
    });

    it('an NDJSON row with a string feature or no label is a 400 naming the cell', async () => {
      const text = assertProblem(
        await upload('{"x":[1,2],"y":"a"}\n{"x":[1,"2"],"y":"b"}\n', 'application/x-ndjson'),
        400,
        'invalid_dataset',
      );
      assert.equal(text.row, 2);
      assert.equal(text.column, 'x[1]');
      const label = assertProblem(
        await upload('{"x":[1,2],"y":"a"}\n{"x":[1,2]}\n', 'application/x-ndjson'),
        400,
        'invalid_dataset',
      );
      assert.equal(label.row, 2);
      assert.equal(label.column, 'y');
      const array = assertProblem(await upload('[1,2]\n', 'application/x-ndjson'), 400, 'invalid_dataset');
      assert.equal(array.row, 1);
      assert.equal(array.column, null);
    });

    it('JSON that does not parse is invalid_json', async () => {
      assertProblem(await upload('{"x": [[1]], "y": [', 'application/json'), 400, 'invalid_json');
    });

    it('JSON with a __proto__ key is refused', async () => {
      const body = '{"x": [[1], [2]], "y": ["a", "b"], "__proto__": {"polluted": true}}';
      assertProblem(await upload(body, 'application/json'), 400, 'invalid_json');
    });

    it('JSON with x and y of different lengths is a 400 naming y', async () => {
      const problem = assertProblem(
        await upload(JSON.stringify({ x: [[1], [2], [3]], y: ['a', 'b'] }), 'application/json'),
        400,
        'invalid_dataset',
      );
      assert.equal(problem.field, '/y');
      assert.equal(problem.detail, "'x' has 3 rows but 'y' has 2 labels");
    });

    it('JSON with a non-number feature is a 400 naming the row and element', async () => {
      const problem = assertProblem(
        await upload(
          JSON.stringify({
            x: [
              [1, 2],
              [3, null],
              [5, 6],
            ],
            y: ['a', 'b', 'a'],
          }),
          'application/json',
        ),
        400,
        'invalid_dataset',
      );
      assert.equal(problem.row, 2);
      assert.equal(problem.column, 'x[1]');
    });

    it('JSON that is an array rather than {x, y} is a 400', async () => {
      const problem = assertProblem(await upload('[[1, 2]]', 'application/json'), 400, 'invalid_dataset');
      assert.equal(problem.field, '/');
    });
  });

  it('other content types are 415', async () => {
    assertProblem(await upload('label,a\n1,2\n', 'text/plain'), 415, 'unsupported_media_type');
    assertProblem(await upload('x', 'application/octet-stream'), 415, 'unsupported_media_type');
  });

  it('a dataset over DATASET_MAX_BYTES is 413', async () => {
    const small = await createTestEnv('datasets-limit', { DATASET_MAX_BYTES: 1000 });
    const limited = await buildApp(small.config);
    try {
      const csv = digitsCsv({ labels: ['0', '1'], perClass: 10 });
      assert.ok(Buffer.byteLength(csv) > 1000);
      const response = await limited.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { 'content-type': 'text/csv' },
        payload: csv,
      });
      const problem = assertProblem(response, 413, 'body_too_large');
      assert.equal(problem.title, 'Content Too Large');
      // One under the limit is accepted.
      const fits = digitsCsv({ labels: ['0', '1'], perClass: 2 });
      assert.ok(Buffer.byteLength(fits) <= 1000);
      const ok = await limited.inject({
        method: 'POST',
        url: '/v1/datasets',
        headers: { 'content-type': 'text/csv' },
        payload: fits,
      });
      assert.equal(ok.statusCode, 201, ok.body);
    } finally {
      await limited.close();
      await small.cleanup();
    }
  });

  describe('list, get and delete', () => {
    it('lists newest first, gets by id, deletes with 204 and then 404s', async () => {
      const first = (
        await upload(digitsCsv({ labels: ['1', '7'], perClass: 3 }), 'text/csv', '?name=first')
      ).json<Dataset>();
      const second = (
        await upload(digitsCsv({ labels: ['4', '9'], perClass: 3 }), 'text/csv', '?name=second')
      ).json<Dataset>();

      const list = await fastify.inject({ method: 'GET', url: '/v1/datasets' });
      assert.equal(list.statusCode, 200);
      const ids = list.json<{ items: Dataset[] }>().items.map((d) => d.id);
      assert.deepEqual(ids.slice(0, 2), [second.id, first.id]);
      assert.deepEqual([...ids].sort().reverse(), ids, 'newest first');

      // Paging: limit and the cursor of the previous page walk the same list, ending on a null cursor.
      const walked: string[] = [];
      let cursor: string | null = null;
      do {
        const page: LightMyRequestResponse = await fastify.inject({
          method: 'GET',
          url: `/v1/datasets?limit=2${cursor ? `&cursor=${cursor}` : ''}`,
        });
        const body: { items: Dataset[]; nextCursor: string | null } = page.json();
        assert.ok(body.items.length <= 2);
        walked.push(...body.items.map((d) => d.id));
        cursor = body.nextCursor;
      } while (cursor);
      assert.deepEqual(walked, ids);
      assertProblem(
        await fastify.inject({ method: 'GET', url: '/v1/datasets?limit=0' }),
        400,
        'validation_failed',
      );

      const got = await fastify.inject({ method: 'GET', url: `/v1/datasets/${first.id}` });
      assert.equal(got.statusCode, 200);
      assert.deepEqual(got.json(), first);

      const deleted = await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${first.id}` });
      assert.equal(deleted.statusCode, 204);
      assert.equal(deleted.body, '');
      await assert.rejects(fs.access(path.join(env.dataDir, 'tenants', 'default', 'datasets', first.id)));

      const gone = assertProblem(
        await fastify.inject({ method: 'GET', url: `/v1/datasets/${first.id}` }),
        404,
        'dataset_not_found',
      );
      assert.equal(gone.datasetId, first.id);
      assertProblem(
        await fastify.inject({ method: 'DELETE', url: `/v1/datasets/${first.id}` }),
        404,
        'dataset_not_found',
      );
      const after = (await fastify.inject({ method: 'GET', url: '/v1/datasets' })).json<{
        items: Dataset[];
      }>();
      assert.equal(
        after.items.some((d) => d.id === first.id),
        false,
      );
      assert.equal(
        after.items.some((d) => d.id === second.id),
        true,
      );
    });

    it('unknown ids are 404 and malformed ids 400', async () => {
      const missing = assertProblem(
        await fastify.inject({ method: 'GET', url: `/v1/datasets/${MISSING_ID}` }),
        404,
        'dataset_not_found',
      );
      assert.equal(missing.datasetId, MISSING_ID);
      const malformed = assertProblem(
        await fastify.inject({ method: 'GET', url: '/v1/datasets/..%2F..%2Fetc' }),
        400,
        'validation_failed',
      );
      assert.equal(malformed.field, '/params/id');
      assertProblem(
        await fastify.inject({ method: 'DELETE', url: '/v1/datasets/mdl_01hzzzzzzzzzzzzzzzzzzzzzzz' }),
        400,
        'validation_failed',
      );
    });
  });
});
