import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import S3rver from 's3rver';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import { openStore } from '../src/store/open-store.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { apiClient, finishedJob, type ApiClient } from './helpers/http.js';
import { listen, spawnWorker, waitFor, type Spawned } from './helpers/processes.js';

const BUCKET = 'finetuned-e2e';

describe('API and two workers sharing only Redis and an S3-compatible store', () => {
  let env: TestEnv;
  let s3: S3rver;
  let s3Dir: string;
  let server: FastifyInstance;
  let api: ApiClient;
  const workers: Spawned[] = [];
  const workerDirs: string[] = [];

  before(async () => {
    s3Dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-s3-e2e-'));
    s3 = new S3rver({
      port: 0,
      address: '127.0.0.1',
      silent: true,
      directory: s3Dir,
      configureBuckets: [{ name: BUCKET, configs: [] }],
    });
    const { port } = await s3.run();
    env = await createTestEnv('s3-e2e', {
      STORE_URL: `s3://${BUCKET}/fleet`,
      S3_ENDPOINT: `http://127.0.0.1:${port}`,
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
    });
    let base: string;
    ({ server, base } = await listen(env.config));
    api = apiClient(base, () => workers.map((w) => w.output()).join('\n'));
    // Each worker has a data directory of its own, as on a host of its own: what they share is the store.
    for (let i = 0; i < 2; i++) {
      const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-s3-worker-'));
      workerDirs.push(dir);
      workers.push(
        spawnWorker(env.config, {
          DATA_DIR: dir,
          STORE_URL: env.config.STORE_URL,
          S3_ENDPOINT: env.config.S3_ENDPOINT,
          S3_FORCE_PATH_STYLE: 'true',
          S3_ACCESS_KEY_ID: 'S3RVER',
          S3_SECRET_ACCESS_KEY: 'S3RVER',
          WORKER_LOCK_MS: 2_000,
          WORKER_STALLED_INTERVAL_MS: 1_000,
          JOB_BACKOFF_MS: 0,
          // Frequent heartbeats, so the test sees soon which worker runs the job.
          WORKER_HEARTBEAT_MS: 200,
        }),
      );
    }
  });

  after(async () => {
    await Promise.all(workers.map((w) => w.kill()));
    await server?.close();
    await s3?.close();
    await env?.cleanup();
    for (const dir of [s3Dir, ...workerDirs]) if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  const events = async (id: string) =>
    (await api.ok<{ items: JobEvent[] }>('GET', `/v1/jobs/${id}/events?limit=1000`)).items;
  const seen = (id: string, what: string, match: (e: JobEvent) => boolean) =>
    waitFor(what, async () => (await events(id)).find(match), 60_000);

  it('a job crashed on one worker resumes on the other from the checkpoint in the store, and its model serves', async () => {
    await waitFor('both workers', async () => {
      const { items } = await api.ok<{ items: unknown[] }>('GET', '/v1/workers');
      return items.length === 2 ? true : undefined;
    });
    const dataset = await api.ok<{ id: string }>('POST', '/v1/datasets?name=digits', digitsCsv(), 'text/csv');
    const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
      dataset: dataset.id,
      architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [8, 16], denseUnits: 32 },
      hyperparameters: { epochs: 10, batchSize: 8, learningRate: 0.003 },
      seed: 5,
    });
    await seen(id, 'a checkpoint', (e) => e.type === 'checkpoint');
    // Kill whichever worker runs it, between checkpoints.
    const runner = await waitFor('a worker to report the job', async () => {
      const { items } = await api.ok<{ items: Array<{ pid: number; jobs: Array<{ id: string }> }> }>(
        'GET',
        '/v1/workers',
      );
      return items.find((w) => w.jobs.some((job) => job.id === id));
    });
    const victim = workers.find((w) => w.child.pid === runner.pid)!;
    victim.child.kill('SIGKILL');
    await victim.exited;

    const job = await finishedJob(api, id);
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.deepEqual(
      job.history.map((row) => row.epoch),
      [1, 2, 3, 4, 5, 6, 7, 8, 9, 10],
    );
    const log = (await events(id)).filter((e) => e.type === 'log').map((e) => String(e.data.message));
    const resumed = log.find((m) => m.startsWith('resumed from the checkpoint after epoch'));
    assert.ok(resumed, `the second worker resumed from a checkpoint: ${log.join(' | ')}`);
    console.log(`S3 crash-resume: ${resumed}`);

    // Everything lives in the store: the model is there, and nothing of it on any local disk.
    const store = openStore(env.config);
    assert.ok(await store.get(`tenants/default/models/${job.modelId}/meta.json`));
    assert.ok(await store.get(`tenants/default/datasets/${dataset.id}/meta.json`));
    for (const dir of [env.dataDir, ...workerDirs])
      assert.ok(!(await fs.readdir(dir)).includes('tenants'), `${dir} holds no stored data`);

    const rows = digitRows({ perClass: 1 });
    const { predictions } = await api.ok<{ predictions: Array<{ label: string }> }>(
      'POST',
      `/v1/models/${job.modelId}/predict`,
      { instances: rows.map((row) => row.pixels) },
    );
    const correct = predictions.filter((p, i) => p.label === rows[i]!.label).length;
    assert.ok(correct >= 7, `${correct} of 10 digits right`);
  });
});
