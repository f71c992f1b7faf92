import assert from 'node:assert/strict';
import type { JobView } from '../../src/jobs/job-service.js';
import { digitRows, digitsCsv } from './digits.js';
import { TEST_AUTHORIZATION } from './env.js';
import { pollJob } from './worker.js';

/** JSON over real HTTP to an API listening at `base`, with the test key. */
export interface ApiClient {
  /** The response's status and JSON body, whatever the status. */
  call: <T>(
    method: string,
    url: string,
    body?: unknown,
    type?: string,
  ) => Promise<{ status: number; body: T }>;
  /** The JSON body of a 2xx response; anything else fails the test, with `context()` in the message. */
  ok: <T>(method: string, url: string, body?: unknown, type?: string) => Promise<T>;
}

/** `context` adds to failure messages what helps to read them, such as the output of the processes involved. */
export function apiClient(base: string, context: () => string = () => ''): ApiClient {
  const call = async <T>(method: string, url: string, body?: unknown, type = 'application/json') => {
    const response = await fetch(`${base}${url}`, {
      method,
      headers: { authorization: TEST_AUTHORIZATION, ...(body === undefined ? {} : { 'content-type': type }) },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as T };
  };
  const ok = async <T>(method: string, url: string, body?: unknown, type?: string) => {
    const response = await call<T>(method, url, body, type);
    assert.ok(
      response.status < 300,
      `${method} ${url}: ${response.status} ${JSON.stringify(response.body)}\n${context()}`,
    );
    return response.body;
  };
  return { call, ok };
}

/** Polls GET /v1/jobs/:id until the job has finished. */
export function finishedJob(api: ApiClient, id: string, timeoutMs?: number): Promise<JobView> {
  return pollJob(() => api.ok<JobView>('GET', `/v1/jobs/${id}`), timeoutMs);
}

/**
 * The whole path through a running API and worker: uploads digits, trains a small MLP on them, and predicts ten
 * digits with the model. Returns the finished job.
 */
export async function trainAndPredict(api: ApiClient, context: () => string = () => ''): Promise<JobView> {
  const dataset = await api.ok<{ id: string }>(
    'POST',
    '/v1/datasets?name=digits',
    digitsCsv({ perClass: 15 }),
    'text/csv',
  );
  const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
    dataset: dataset.id,
    architecture: { type: 'mlp', hiddenUnits: [32] },
    hyperparameters: { epochs: 2, learningRate: 0.01 },
    seed: 3,
  });
  const job = await finishedJob(api, id);
  assert.equal(job.status, 'succeeded', `${JSON.stringify(job.error)}\n${context()}`);
  const rows = digitRows({ perClass: 1 });
  const { predictions } = await api.ok<{ predictions: unknown[] }>(
    'POST',
    `/v1/models/${job.modelId}/predict`,
    {
      instances: rows.map((row) => row.pixels),
    },
  );
  assert.equal(predictions.length, rows.length);
  return job;
}
