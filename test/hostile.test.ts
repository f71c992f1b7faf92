import type { FastifyInstance, HTTPMethods, LightMyRequestResponse } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { assertProblem, buildApp } from './helpers/app.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { multipartBody } from './helpers/multipart.js';
import { modelUpload, saveModel, smallCnn, type SavedModel } from './helpers/tf-model.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const KiB = 1024;
// Small limits keep the oversized payloads small.
const JSON_MAX_BYTES = 64 * KiB;
const DATASET_MAX_BYTES = 32 * KiB;
const MODEL_MAX_BYTES = 16 * KiB;

const MISSING_DS = 'ds_01hzzzzzzzzzzzzzzzzzzzzzzz';
const MISSING_MDL = 'mdl_01hzzzzzzzzzzzzzzzzzzzzzzz';
const MISSING_JOB = 'job_01hzzzzzzzzzzzzzzzzzzzzzzz';

/** What the rows point at: made once, before the rows run. */
interface Fixtures {
  ds: string;
  mdl: string;
  job: string;
  saved: SavedModel;
}

interface HostileRequest {
  method: HTTPMethods;
  /** `{ds}`, `{mdl}` and `{job}` are replaced by the fixtures' ids, here and in string payloads. */
  url: string;
  headers?: Record<string, string>;
  payload?: string | Buffer;
}

interface Row {
  name: string;
  request: HostileRequest | ((f: Fixtures) => HostileRequest);
  status: number;
  code: string;
  /** Extension members the problem must carry, where the API names what was wrong. */
  expect?: { field?: string; row?: number; column?: string | null; file?: string };
}

interface Observed {
  request: string;
  status: number;
  code: string;
}

const JSON_TYPE = { 'content-type': 'application/json' };
const CSV_TYPE = { 'content-type': 'text/csv' };
const NDJSON_TYPE = { 'content-type': 'application/x-ndjson' };

/** `depth` nested arrays around `inner`: `[[[inner]]]`. */
const nest = (depth: number, inner = '0') => `${'['.repeat(depth)}${inner}${']'.repeat(depth)}`;
/** A flat row of 64 pixels as JSON, with `cell` in place of the second pixel. */
const rowWith = (cell: string) => `[0,${cell}${',0'.repeat(62)}]`;
const PIXELS = JSON.stringify(digitRows({ labels: ['0'], perClass: 1 })[0]!.pixels);
const job = (extra: string) => `{"dataset":"{ds}","architecture":{"type":"mlp"}${extra}}`;
const hyper = (json: string) => job(`,"hyperparameters":${json}`);
const predict =
  (url = '/v1/models/{mdl}/predict') =>
  (payload: string): HostileRequest => ({ method: 'POST', url, headers: JSON_TYPE, payload });
const predictMdl = predict();
const postJob = (payload: string, headers: Record<string, string> = JSON_TYPE): HostileRequest => ({
  method: 'POST',
  url: '/v1/jobs',
  headers,
  payload,
});
const putAlias = (name: string, payload = '{"modelId":"{mdl}"}'): HostileRequest => ({
  method: 'PUT',
  url: `/v1/aliases/${name}`,
  headers: JSON_TYPE,
  payload,
});
const get = (url: string): HostileRequest => ({ method: 'GET', url });
const dataset = (payload: string | Buffer, headers = CSV_TYPE, query = ''): HostileRequest => ({
  method: 'POST',
  url: `/v1/datasets${query}`,
  headers,
  payload,
});
const multipart = (body: { payload: Buffer; contentType: string }, url = '/v1/models'): HostileRequest => ({
  method: 'POST',
  url,
  headers: { 'content-type': body.contentType },
  payload: body.payload,
});
/** The fixture model's upload with its manifest naming `paths` instead of weights.bin. */
const manifestNaming =
  (...paths: string[]) =>
  ({ saved }: Fixtures) =>
    multipart(
      modelUpload(
        saved,
        [],
        JSON.stringify({ ...saved.json, weightsManifest: [{ ...saved.json.weightsManifest[0]!, paths }] }),
      ),
    );

const ROWS: Row[] = [
  // Malformed and truncated JSON.
  {
    name: 'job body cut off after a key',
    request: postJob('{"dataset": '),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'job body cut off inside a string',
    request: postJob('{"dataset":"ds_01'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'job body with trailing garbage',
    request: postJob(`${job('')} trailing`),
    status: 400,
    code: 'invalid_json',
  },
  { name: 'empty JSON job body', request: postJob(''), status: 400, code: 'empty_body' },
  {
    name: 'predict body cut off inside instances',
    request: predictMdl('{"instances":[[1,2'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'alias body in single quotes',
    request: putAlias('quoted', "{'modelId': '{mdl}'}"),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'Content-Length larger than the body',
    request: postJob('{}', { ...JSON_TYPE, 'content-length': '100' }),
    status: 400,
    code: 'invalid_content_length',
  },

  // Wrong types.
  {
    name: 'epochs as a string "10"',
    request: postJob(hyper('{"epochs":"10"}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/epochs' },
  },
  {
    name: 'hyperparameters as an array',
    request: postJob(hyper('[]')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters' },
  },
  {
    name: 'job body is an array',
    request: postJob('[]'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body' },
  },
  {
    name: 'job body is null',
    request: postJob('null'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body' },
  },
  {
    name: 'instances as an object',
    request: predictMdl('{"instances":{"0":[1]}}'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/instances' },
  },
  {
    name: 'alias modelId as a number',
    request: putAlias('numeric', '{"modelId":42}'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/modelId' },
  },
  {
    name: 'topK as a string "3"',
    request: predictMdl(`{"instances":[${PIXELS}],"topK":"3"}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/topK' },
  },

  // Huge and non-finite numbers: JSON.parse makes 1e309 Infinity.
  {
    name: 'learningRate 1e309',
    request: postJob(hyper('{"learningRate":1e309}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/learningRate' },
  },
  {
    name: 'epochs -1e400',
    request: postJob(hyper('{"epochs":-1e400}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/epochs' },
  },
  {
    name: 'seed 1e309',
    request: postJob(job(',"seed":1e309')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/seed' },
  },
  {
    name: 'learningRate NaN literal',
    request: postJob(hyper('{"learningRate":NaN}')),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'learningRate "NaN" string',
    request: postJob(hyper('{"learningRate":"NaN"}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/learningRate' },
  },
  {
    name: 'predict pixel 1e309',
    request: predictMdl(`{"instances":[${rowWith('1e309')}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/0' },
  },
  {
    name: 'predict pixel -1e400',
    request: predictMdl(`{"instances":[${PIXELS},${rowWith('-1e400')}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/1' },
  },
  {
    name: 'predict pixel NaN literal',
    request: predictMdl(`{"instances":[${rowWith('NaN')}]}`),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'JSON dataset feature 1e309',
    request: dataset('{"x":[[1e309],[1]],"y":["a","b"]}', JSON_TYPE),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 1, column: 'x[0]' },
  },

  // Deep nesting.
  {
    name: 'predict instance nested 10 000 levels',
    request: predictMdl(`{"instances":[${nest(10_000)}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/0' },
  },
  {
    name: 'predict flat row with a 10 000-level cell',
    request: predictMdl(`{"instances":[${rowWith(nest(10_000))}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/0' },
  },
  {
    name: 'job hiddenUnits nested 10 000 levels',
    request: postJob(`{"dataset":"{ds}","architecture":{"type":"mlp","hiddenUnits":${nest(10_000)}}}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/architecture/hiddenUnits/0' },
  },
  {
    name: 'job metadata value nested 10 000 levels',
    request: postJob(job(`,"metadata":{"k":${nest(10_000)}}`)),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/metadata/k' },
  },
  {
    name: 'NDJSON feature nested 10 000 levels',
    request: dataset(`{"x":[1,${nest(10_000)}],"y":"a"}\n{"x":[1,2],"y":"b"}\n`, NDJSON_TYPE),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 1, column: 'x[1]' },
  },
  {
    name: 'JSON dataset feature nested 10 000 levels',
    request: dataset(`{"x":[[1,${nest(10_000)}],[1,2]],"y":["a","b"]}`, JSON_TYPE),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 1, column: 'x[1]' },
  },

  // Prototype keys.
  {
    name: 'job with __proto__',
    request: postJob(job(',"__proto__":{"polluted":true}')),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'job with constructor.prototype',
    request: postJob(job(',"constructor":{"prototype":{"polluted":true}}')),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'job metadata with __proto__',
    request: postJob(job(',"metadata":{"__proto__":"x"}')),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'alias with __proto__',
    request: putAlias('proto', '{"modelId":"{mdl}","__proto__":{"polluted":true}}'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'alias with constructor.prototype',
    request: putAlias('ctor', '{"modelId":"{mdl}","constructor":{"prototype":{"polluted":true}}}'),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'predict with __proto__',
    request: predictMdl(`{"instances":[${PIXELS}],"__proto__":{"polluted":true}}`),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'predict with constructor.prototype',
    request: predictMdl(`{"instances":[${PIXELS}],"constructor":{"prototype":{"polluted":true}}}`),
    status: 400,
    code: 'invalid_json',
  },
  {
    name: 'JSON dataset with constructor.prototype',
    request: dataset('{"x":[[1],[2]],"y":["a","b"],"constructor":{"prototype":{"p":1}}}', JSON_TYPE),
    status: 400,
    code: 'invalid_json',
  },

  // Ids in every :id route.
  {
    name: 'dataset id ..%2F..%2Fetc%2Fpasswd',
    request: get('/v1/datasets/..%2F..%2Fetc%2Fpasswd'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'delete dataset id with a NUL byte',
    request: { method: 'DELETE', url: '/v1/datasets/ds_01hzzzzzzzzzzzzzzzzzzzzzz%00' },
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'model id %2e%2e%2f%2e%2e%2fetc',
    request: get('/v1/models/%2e%2e%2f%2e%2e%2fetc'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'delete model id with a newline',
    request: { method: 'DELETE', url: '/v1/models/mdl_01hzzzzzzzzzzzzzzzzzzzzzz%0a' },
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'job id of 300 characters',
    request: get(`/v1/jobs/job_${'0'.repeat(296)}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'job id in upper case',
    request: get('/v1/jobs/JOB_01HZZZZZZZZZZZZZZZZZZZZZZZ'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'cancel job ..%2f..%2fx',
    request: { method: 'POST', url: '/v1/jobs/..%2f..%2fx/cancel' },
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'events of job %2e%2e%2f',
    request: get('/v1/jobs/%2e%2e%2f/events'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    // inject, like any WHATWG URL client, resolves a %2e%2e segment: the server sees /v1/events.
    name: 'events of job %2e%2e (a dot segment)',
    request: get('/v1/jobs/%2e%2e/events'),
    status: 404,
    code: 'route_not_found',
  },
  {
    name: 'checkpoints of job "job_x; rm -rf"',
    request: get('/v1/jobs/job_x%3B%20rm%20-rf/checkpoints'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/id' },
  },
  {
    name: 'model file ..%2F..%2Fapi-keys.json',
    request: get('/v1/models/{mdl}/..%2F..%2Fapi-keys.json'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/file' },
  },
  {
    name: 'model file %2e%2e%2fapi-keys.json',
    request: get('/v1/models/{mdl}/%2e%2e%2fapi-keys.json'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/file' },
  },
  {
    name: 'model file weights.bin%00.json',
    request: get('/v1/models/{mdl}/weights.bin%00.json'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/file' },
  },
  {
    name: 'predict with idOrAlias ..%2Fmdl',
    request: predict('/v1/models/..%2Fmdl/predict')(`{"instances":[${PIXELS}]}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/idOrAlias' },
  },
  {
    name: 'job id with an undecodable escape %zz',
    request: get('/v1/jobs/%zz'),
    status: 400,
    code: 'bad_url',
  },

  // Alias names.
  {
    name: 'alias ..%2Fx',
    request: putAlias('..%2Fx'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/name' },
  },
  {
    name: 'alias with a space',
    request: putAlias('my%20alias'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/name' },
  },
  {
    name: 'alias café (unicode)',
    request: putAlias('caf%C3%A9'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/name' },
  },
  {
    name: 'alias of 64 characters',
    request: putAlias('a'.repeat(64)),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/name' },
  },
  {
    name: 'alias mdl_shadow',
    request: putAlias('mdl_shadow'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/name' },
  },
  {
    name: 'get alias .hidden',
    request: get('/v1/aliases/.hidden'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/name' },
  },
  {
    name: 'predict by an emoji alias',
    request: predict('/v1/models/%F0%9F%98%80/predict')(`{"instances":[${PIXELS}]}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/params/idOrAlias' },
  },

  // Oversized bodies.
  {
    name: 'job body over JSON_MAX_BYTES',
    request: postJob(job(`,"name":"${'x'.repeat(JSON_MAX_BYTES)}"`)),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'predict body over JSON_MAX_BYTES',
    request: predictMdl(
      `{"instances":[${Array(Math.ceil(JSON_MAX_BYTES / 100))
        .fill(PIXELS)
        .join(',')}]}`,
    ),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'alias body over JSON_MAX_BYTES',
    request: putAlias('big', `{"modelId":"${'x'.repeat(JSON_MAX_BYTES)}"}`),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'dataset over DATASET_MAX_BYTES',
    request: dataset(`label,a\n${'0,1\n1,0\n'.repeat(DATASET_MAX_BYTES / 8)}`),
    status: 413,
    code: 'body_too_large',
  },
  {
    name: 'model over MODEL_MAX_BYTES',
    request: ({ saved }) => multipart(modelUpload({ ...saved, weights: Buffer.alloc(MODEL_MAX_BYTES + 1) })),
    status: 413,
    code: 'model_too_large',
  },

  // Wrong content types.
  {
    name: 'job as text/plain',
    request: postJob(job(''), { 'content-type': 'text/plain' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'job as multipart',
    request: () => multipart(multipartBody([{ name: 'dataset', data: MISSING_DS }]), '/v1/jobs'),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'job body without a content type',
    request: postJob(job(''), {}),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'predict as multipart with rows but no image file',
    request: () =>
      multipart(multipartBody([{ name: 'instances', data: `[${PIXELS}]` }]), '/v1/models/{mdl}/predict'),
    status: 400,
    code: 'validation_failed',
  },
  {
    name: 'alias as a form',
    request: {
      method: 'PUT',
      url: '/v1/aliases/form',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'modelId={mdl}',
    },
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'dataset as application/xml',
    request: dataset('<x>1</x>', { 'content-type': 'application/xml' }),
    status: 415,
    code: 'unsupported_media_type',
  },
  {
    name: 'JSON dataset sent as text/csv',
    request: dataset('{"x":[[1],[2]],"y":["a","b"]}'),
    status: 400,
    code: 'invalid_dataset',
  },
  {
    name: 'model as JSON',
    request: { method: 'POST', url: '/v1/models', headers: JSON_TYPE, payload: '{"modelTopology":{}}' },
    status: 415,
    code: 'unsupported_media_type',
  },

  // Multipart and model manifests.
  {
    name: 'multipart cut off mid-part',
    request: ({ saved }) => {
      const { payload, contentType } = modelUpload(saved);
      return multipart({ payload: payload.subarray(0, 300), contentType });
    },
    status: 400,
    code: 'invalid_multipart',
  },
  {
    name: 'multipart without a boundary',
    request: ({ saved }) =>
      multipart({ payload: modelUpload(saved).payload, contentType: 'multipart/form-data' }),
    status: 400,
    code: 'invalid_multipart',
  },
  {
    name: 'manifest names ../weights.bin',
    request: manifestNaming('../weights.bin'),
    status: 400,
    code: 'invalid_model',
    expect: { file: '../weights.bin' },
  },
  {
    name: 'manifest names /etc/passwd',
    request: manifestNaming('/etc/passwd'),
    status: 400,
    code: 'invalid_model',
    expect: { file: '/etc/passwd' },
  },
  {
    name: 'manifest names weights/../../x',
    request: manifestNaming('weights/../../x'),
    status: 400,
    code: 'invalid_model',
    expect: { file: 'weights/../../x' },
  },
  {
    name: 'manifest names C:\\evil.bin',
    request: manifestNaming('C:\\evil.bin'),
    status: 400,
    code: 'invalid_model',
    expect: { file: 'C:\\evil.bin' },
  },
  {
    // The multipart parser keeps only the base name of a part's filename.
    name: 'extra part named ../../evil.bin',
    request: ({ saved }) =>
      multipart(modelUpload(saved, [{ name: 'x', filename: '../../evil.bin', data: Buffer.alloc(8) }])),
    status: 400,
    code: 'invalid_model',
    expect: { file: 'evil.bin' },
  },
  {
    name: 'weights 4 bytes short',
    request: ({ saved }) => multipart(modelUpload({ ...saved, weights: saved.weights.subarray(4) })),
    status: 400,
    code: 'invalid_model',
    expect: { file: 'weights.bin' },
  },
  {
    name: 'model.json that is not JSON',
    request: ({ saved }) => multipart(modelUpload(saved, [], '{"modelTopology": ')),
    status: 400,
    code: 'invalid_model',
    expect: { file: 'model.json' },
  },
  {
    name: 'labels field that is not a JSON array',
    request: ({ saved }) => multipart(modelUpload(saved, [{ name: 'labels', data: '{"0":"a"}' }])),
    status: 400,
    code: 'invalid_model',
  },

  // Datasets.
  {
    name: 'CSV with a ragged row',
    request: dataset('label,a,b,c\n1,1,2,3\n2,4,5\n'),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 2, column: 'c' },
  },
  {
    name: 'CSV with a non-numeric cell',
    request: dataset('label,a,b\n1,1,2\n2,x,3\n'),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 2, column: 'a' },
  },
  {
    // NaN is a missing value (see tabular-columns.test.ts); -Infinity is no number.
    name: 'CSV with a -Infinity cell among numbers',
    request: dataset('label,a,b\n1,1,-Infinity\n2,4,3\n'),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 1, column: 'b' },
  },
  { name: 'empty CSV', request: dataset(''), status: 400, code: 'invalid_dataset' },
  { name: 'CSV header only', request: dataset('label,a,b\n'), status: 400, code: 'invalid_dataset' },
  {
    name: 'CSV with duplicate feature columns',
    request: dataset('label,a,a\n1,1,2\n2,3,4\n'),
    status: 400,
    code: 'invalid_dataset',
    expect: { column: 'a' },
  },
  {
    name: 'CSV with two label columns',
    request: dataset('label,a,label\n1,1,2\n2,3,4\n'),
    status: 400,
    code: 'invalid_dataset',
    expect: { column: 'label' },
  },
  {
    name: 'CSV with an unclosed quote',
    request: dataset('label,a\n"1,2\n2,3\n'),
    status: 400,
    code: 'invalid_dataset',
  },
  {
    name: 'binary garbage as CSV',
    request: dataset(Buffer.from([0xff, 0xfe, 0x00, 0x01, 0x0a, 0x80, 0x81, 0x2c, 0x0a])),
    status: 400,
    code: 'invalid_dataset',
  },
  {
    name: 'NDJSON with a line that is not JSON',
    request: dataset('{"x":[1,2],"y":"a"}\n{"x":[3,4],"y":\n', NDJSON_TYPE),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 2, column: null },
  },
  {
    name: 'NDJSON line that is an array',
    request: dataset('[1,2]\n{"x":[3,4],"y":"b"}\n', NDJSON_TYPE),
    status: 400,
    code: 'invalid_dataset',
    expect: { row: 1, column: null },
  },
  {
    name: 'dataset name of 201 characters',
    request: dataset('label,a\n1,1\n2,2\n', CSV_TYPE, `?name=${'n'.repeat(201)}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/name' },
  },

  // Predict.
  {
    name: 'instance of 63 values',
    request: predictMdl(`{"instances":[${JSON.stringify(Array(63).fill(0))}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/0' },
  },
  {
    name: 'instance of strings',
    request: predictMdl(`{"instances":[${JSON.stringify(Array(64).fill('1'))}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/0' },
  },
  {
    name: 'instance that is null',
    request: predictMdl(`{"instances":[${PIXELS},null]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/1' },
  },
  {
    name: 'instance of nulls',
    request: predictMdl(`{"instances":[${JSON.stringify(Array(64).fill(null))}]}`),
    status: 422,
    code: 'invalid_instance',
    expect: { field: '/instances/0' },
  },
  {
    name: 'instances null',
    request: predictMdl('{"instances":null}'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/instances' },
  },
  {
    name: '1001 instances',
    request: predictMdl(`{"instances":[${Array(1001).fill('[0]').join(',')}]}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/instances' },
  },
  {
    name: 'topK 1e9',
    request: predictMdl(`{"instances":[${PIXELS}],"topK":1e9}`),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/topK' },
  },
  {
    name: 'predict by an unknown alias',
    request: predict('/v1/models/no-such-alias/predict')(`{"instances":[${PIXELS}]}`),
    status: 404,
    code: 'alias_not_found',
  },

  // Job submissions.
  {
    name: 'job with an unknown field',
    request: postJob(job(',"optimizer":"sgd"')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/optimizer' },
  },
  {
    name: 'epochs 0',
    request: postJob(hyper('{"epochs":0}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/epochs' },
  },
  {
    name: 'epochs 1e9',
    request: postJob(hyper('{"epochs":1e9}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/epochs' },
  },
  {
    name: 'learningRate -1',
    request: postJob(hyper('{"learningRate":-1}')),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/hyperparameters/learningRate' },
  },
  {
    name: 'unknown dataset id',
    request: postJob(`{"dataset":"${MISSING_DS}","architecture":{"type":"mlp"}}`),
    status: 404,
    code: 'dataset_not_found',
  },
  {
    name: 'unknown base model id',
    request: postJob(`{"dataset":"{ds}","baseModel":"${MISSING_MDL}"}`),
    status: 404,
    code: 'model_not_found',
  },
  {
    name: 'a model id as the dataset',
    request: postJob('{"dataset":"{mdl}","architecture":{"type":"mlp"}}'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/dataset' },
  },
  {
    name: 'metadata with 51 keys',
    request: postJob(
      job(
        `,"metadata":${JSON.stringify(Object.fromEntries(Array.from({ length: 51 }, (_, i) => [`k${i}`, 'v'])))}`,
      ),
    ),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/body/metadata' },
  },

  {
    name: 'cancel an unknown job',
    request: { method: 'POST', url: `/v1/jobs/${MISSING_JOB}/cancel` },
    status: 404,
    code: 'job_not_found',
  },

  // Idempotency-Key.
  {
    name: 'Idempotency-Key of 256 characters',
    request: postJob(job(''), { ...JSON_TYPE, 'idempotency-key': 'k'.repeat(256) }),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/idempotency-key' },
  },
  {
    name: 'Idempotency-Key with a control character',
    request: postJob(job(''), { ...JSON_TYPE, 'idempotency-key': 'key\u0001x' }),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/idempotency-key' },
  },
  {
    name: 'Idempotency-Key with DEL',
    request: postJob(job(''), { ...JSON_TYPE, 'idempotency-key': 'key\u007f' }),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/idempotency-key' },
  },
  {
    name: 'Idempotency-Key with a tab',
    request: postJob(job(''), { ...JSON_TYPE, 'idempotency-key': 'key\tx' }),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/idempotency-key' },
  },

  // Event ids.
  {
    name: 'Last-Event-ID garbage (JSON)',
    request: { method: 'GET', url: '/v1/jobs/{job}/events', headers: { 'last-event-id': 'garbage' } },
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/last-event-id' },
  },
  {
    name: 'Last-Event-ID ../x (SSE)',
    request: {
      method: 'GET',
      url: '/v1/jobs/{job}/events',
      headers: { accept: 'text/event-stream', 'last-event-id': '../x' },
    },
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/last-event-id' },
  },
  {
    name: 'Last-Event-ID of 16 digits (SSE)',
    request: {
      method: 'GET',
      url: '/v1/jobs/{job}/events',
      headers: { accept: 'text/event-stream', 'last-event-id': '1234567890123456-0' },
    },
    status: 400,
    code: 'validation_failed',
    expect: { field: '/headers/last-event-id' },
  },
  {
    name: 'events ?after=garbage',
    request: get('/v1/jobs/{job}/events?after=-%2B'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/after' },
  },

  // Query strings.
  {
    name: 'limit=abc',
    request: get('/v1/jobs?limit=abc'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/limit' },
  },
  {
    name: 'limit=0',
    request: get('/v1/datasets?limit=0'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/limit' },
  },
  {
    name: 'limit=101',
    request: get('/v1/models?limit=101'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/limit' },
  },
  {
    name: 'limit=1&limit=2',
    request: get('/v1/jobs?limit=1&limit=2'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/limit' },
  },
  {
    name: 'cursor=../../etc',
    request: get('/v1/datasets?cursor=../../etc'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/cursor' },
  },
  {
    name: "cursor=mdl_' OR 1=1",
    request: get("/v1/models?cursor=mdl_'%20OR%201=1"),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/cursor' },
  },
  {
    name: 'alias cursor with a NUL byte',
    request: get('/v1/aliases?cursor=a%00'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/cursor' },
  },
  {
    name: 'status=bogus',
    request: get('/v1/jobs?status=bogus'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/status' },
  },
  {
    name: 'unknown query parameter',
    request: get('/v1/jobs?unknown=1'),
    status: 400,
    code: 'validation_failed',
    expect: { field: '/querystring/unknown' },
  },
];

/** Fills `{ds}`, `{mdl}` and `{job}` in. */
const fill = (text: string, f: Fixtures) =>
  text.replaceAll('{ds}', f.ds).replaceAll('{mdl}', f.mdl).replaceAll('{job}', f.job);

/** The row's request as sent, and as written (placeholders kept, for the table). */
function resolve(row: Row, f: Fixtures): { request: HostileRequest; template: HostileRequest } {
  const template = typeof row.request === 'function' ? row.request(f) : row.request;
  const request = {
    ...template,
    url: fill(template.url, f),
    payload: typeof template.payload === 'string' ? fill(template.payload, f) : template.payload,
  };
  return { request, template };
}

/** One line for the table: the URL as written, the body's type and size as sent. */
const describeRequest = (template: HostileRequest, request: HostileRequest) => {
  const url = template.url.length > 60 ? `${template.url.slice(0, 57)}...` : template.url;
  const type = request.headers?.['content-type']?.split(';')[0];
  const size = request.payload === undefined ? 0 : Buffer.byteLength(request.payload);
  const body = size > 0 ? ` (${type ?? 'no type'}, ${size} B)` : '';
  return `${request.method} ${url}${body}`;
};

function observe(
  template: HostileRequest,
  request: HostileRequest,
  response: LightMyRequestResponse,
): Observed {
  let code = `(${String(response.headers['content-type'] ?? 'no content-type').split(';')[0]})`;
  if (String(response.headers['content-type']).startsWith('application/problem+json')) {
    code = response.json<{ code: string }>().code;
  }
  return { request: describeRequest(template, request), status: response.statusCode, code };
}

/** Every file under `dir`, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)));
}

/** Names, sizes and modification times of the repository root's entries: what a stray write would change. */
async function rootListing(): Promise<string[]> {
  const entries = await fs.readdir(ROOT, { withFileTypes: true });
  return Promise.all(
    entries.map(async (entry) => {
      if (entry.isDirectory()) return `${entry.name}/`;
      const stat = await fs.stat(path.join(ROOT, entry.name));
      return `${entry.name} ${stat.size} ${stat.mtimeMs}`;
    }),
  );
}

const cell = (text: string | number) => String(text).replaceAll('|', '\\|').replaceAll('\n', ' ');

describe('hostile input: every row is a 4xx problem+json', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;
  let fixtures: Fixtures;
  let privateTmp: string;
  const systemTmp = process.env.TMPDIR;
  let rootBefore: string[];
  const observed = new Map<number, Observed>();

  before(async () => {
    // Whatever this process writes to os.tmpdir() lands here, so it can be told from other processes' files.
    privateTmp = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-hostile-tmp-'));
    process.env.TMPDIR = privateTmp;
    rootBefore = await rootListing();
    env = await createTestEnv('hostile', {
      JSON_MAX_BYTES,
      DATASET_MAX_BYTES,
      MODEL_MAX_BYTES,
      INFERENCE_HOSTS: 1,
      // A busy shared machine must not turn rows into 503 server_busy.
      MAX_EVENT_LOOP_DELAY_MS: 60_000,
    });
    fastify = await buildApp(env.config);

    const csv = await fastify.inject({
      method: 'POST',
      url: '/v1/datasets',
      headers: CSV_TYPE,
      payload: digitsCsv({ labels: ['0', '1'], perClass: 5 }),
    });
    assert.equal(csv.statusCode, 201, csv.body);
    const cnn = smallCnn();
    const saved = await saveModel(cnn);
    cnn.dispose();
    const upload = await fastify.inject(multipart(modelUpload(saved)));
    assert.equal(upload.statusCode, 201, upload.body);
    const ds = csv.json<{ id: string }>().id;
    // A queued job is enough for the job routes: no worker runs in this file.
    const submitted = await fastify.inject({
      method: 'POST',
      url: '/v1/jobs',
      payload: { dataset: ds, architecture: { type: 'mlp' }, hyperparameters: { epochs: 1 } },
    });
    assert.equal(submitted.statusCode, 201, submitted.body);
    fixtures = { ds, mdl: upload.json<{ id: string }>().id, job: submitted.json<{ id: string }>().id, saved };
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
    if (systemTmp === undefined) delete process.env.TMPDIR;
    else process.env.TMPDIR = systemTmp;
    if (privateTmp) await fs.rm(privateTmp, { recursive: true, force: true });

    const lines = ['| # | case | request | status | code |', '| --- | --- | --- | --- | --- |'];
    ROWS.forEach((row, i) => {
      const seen = observed.get(i);
      lines.push(
        `| ${i + 1} | ${cell(row.name)} | ${cell(seen?.request ?? '(not run)')} | ${seen?.status ?? '-'} | ${cell(seen?.code ?? '-')} |`,
      );
    });
    console.log(`\nObserved outcomes of the hostile-input rows:\n\n${lines.join('\n')}\n`);
  });

  it('has at least 60 rows', () => {
    assert.ok(ROWS.length >= 60, `${ROWS.length} rows`);
  });

  ROWS.forEach((row, i) => {
    it(`#${i + 1} ${row.name} → ${row.status} ${row.code}`, async () => {
      const { request, template } = resolve(row, fixtures);
      const response = await fastify.inject(request);
      observed.set(i, observe(template, request, response));
      const problem = assertProblem(response, row.status, row.code);
      for (const [member, value] of Object.entries(row.expect ?? {})) {
        assert.deepEqual(problem[member], value, `${member} of ${JSON.stringify(problem)}`);
      }
    });
  });

  it('afterwards the API still answers: /health, /ready and a valid prediction', async () => {
    assert.equal((await fastify.inject({ method: 'GET', url: '/health' })).statusCode, 200);
    const ready = await fastify.inject({ method: 'GET', url: '/ready' });
    assert.equal(ready.statusCode, 200, ready.body);
    const valid = await fastify.inject({
      method: 'POST',
      url: `/v1/models/${fixtures.mdl}/predict`,
      payload: { instances: [JSON.parse(PIXELS) as number[]] },
    });
    assert.equal(valid.statusCode, 200, valid.body);
  });

  it('nothing was written outside DATA_DIR, nor beside the stores inside it', async () => {
    // tsx, which runs these tests, caches its compiled modules in os.tmpdir()/tsx-<uid>.
    const tmpFiles = (await filesUnder(privateTmp))
      .filter((file) => !/^tsx-\d+\//.test(file))
      .map((file) => path.join(privateTmp, file));
    const outside = tmpFiles.filter((file) => !file.startsWith(env.dataDir + path.sep));
    assert.deepEqual(outside, [], 'files in os.tmpdir() outside DATA_DIR');
    // Inside DATA_DIR only the stores' own layout: tenants/<tenant>/<kind>/<id>/[files/]<plain file name>.
    const layout =
      /^tenants\/default\/(datasets\/ds|models\/mdl|jobs\/job)_[0-9a-z]{26}\/(files\/)?[A-Za-z0-9][\w.-]*$/;
    const stray = (await filesUnder(env.dataDir)).filter((file) => !layout.test(file));
    assert.deepEqual(stray, [], 'files in DATA_DIR outside the stores');
    assert.deepEqual(await rootListing(), rootBefore, 'the repository root changed');
    assert.equal(({} as Record<string, unknown>).polluted, undefined, 'Object.prototype was polluted');
  });
});
