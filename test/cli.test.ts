import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, unwrap, type Dataset, type Job, type JobEvent, type Model } from 'finetuned/client';
import { fashionImages } from './helpers/archives.js';
import { assertOneLine, cliRunner, jsonOf as json } from './helpers/cli.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { createTestEnv, TEST_KEY, type TestEnv } from './helpers/env.js';
import { freePort, listen } from './helpers/processes.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

const LABELS = ['0', '1', '2'];

describe('the finetuned CLI, run as its bin against a listening API with a training worker', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let worker: InProcessWorker;
  let dir: string;
  let configHome: string;

  // The API's URL and the test key in the environment, the config folder in the test's own.
  const { start, cli } = cliRunner(
    () => dir,
    () => ({ FINETUNED_URL: base, FINETUNED_API_KEY: TEST_KEY, XDG_CONFIG_HOME: configHome }),
  );

  before(async () => {
    env = await createTestEnv('cli', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    // No key is added for the CLI: it sends the one it is given.
    ({ server, base } = await listen(env.config, { credentials: false }));
    worker = await startWorker(env.config);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-cli-'));
    configHome = path.join(dir, 'config');
    await fs.writeFile(path.join(dir, 'digits.csv'), digitsCsv({ labels: LABELS, perClass: 20 }));
  });

  after(async () => {
    await worker?.close();
    await server?.close();
    await env?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('login stores the URL and key readable by its owner only; later commands use them, flags and env win', async () => {
    const unset = { FINETUNED_URL: '', FINETUNED_API_KEY: '' };
    const login = await cli(['login', '--url', `${base}/`, '--api-key', TEST_KEY], unset);
    assert.equal(login.code, 0, login.stderr);
    const file = path.join(configHome, 'finetuned', 'config.json');
    assert.equal((await fs.stat(file)).mode & 0o777, 0o600);
    assert.equal((await fs.stat(path.dirname(file))).mode & 0o777, 0o700);
    assert.deepEqual(JSON.parse(await fs.readFile(file, 'utf8')), { url: base, apiKey: TEST_KEY });

    const [stored, wrongKey, refused] = await Promise.all([
      cli(['datasets', 'list', '--json'], unset),
      // The environment's key beats the stored one, and a wrong key is one line, exit 2.
      cli(['datasets', 'list'], { FINETUNED_URL: '', FINETUNED_API_KEY: 'ft_wrong' }),
      // A login with a key the API does not know is refused, and stores nothing.
      cli(['login', '--api-key', 'ft_wrong'], { XDG_CONFIG_HOME: path.join(dir, 'other-config') }),
    ]);
    assert.deepEqual(json<{ items: Dataset[] }>(stored).items, []);
    assert.equal(wrongKey.code, 2);
    assertOneLine(wrongKey, /^finetuned: 401 unauthorized: the API key is not valid/);
    assert.equal(refused.code, 2);
    assertOneLine(refused, /^finetuned: 401 unauthorized/);
    await assert.rejects(fs.stat(path.join(dir, 'other-config', 'finetuned', 'config.json')), {
      code: 'ENOENT',
    });
  });

  it('an unreachable API exits 1, a missing or unknown dataset file and a bad option 2, each with one line', async () => {
    const port = await freePort();
    await fs.writeFile(path.join(dir, 'notes.txt'), 'not a dataset');
    const [unreachable, missing, unknown, usage] = await Promise.all([
      cli(['jobs', 'list'], { FINETUNED_URL: `http://127.0.0.1:${port}` }),
      cli(['datasets', 'upload', 'missing.csv']),
      cli(['datasets', 'upload', 'notes.txt']),
      cli(['jobs', 'create', '--dataset', 'ds_x', '--epochs', 'many']),
    ]);
    assert.equal(unreachable.code, 1);
    assertOneLine(
      unreachable,
      new RegExp(`^finetuned: cannot reach http://127.0.0.1:${port}: connection refused$`),
    );
    assert.equal(missing.code, 2);
    assertOneLine(missing, /^finetuned: no such file or folder: missing\.csv$/);
    assert.equal(unknown.code, 2);
    assertOneLine(unknown, /^finetuned: cannot tell the format of notes\.txt/);
    assert.equal(usage.code, 2);
    assertOneLine(usage, /^finetuned: option '--epochs <n>' argument 'many' is invalid/);
  });

  let dataset: Dataset;
  let job: Job;

  it('uploads a CSV, trains on it with --watch to success, and lists and logs the job', async () => {
    dataset = json<Dataset>(await cli(['--json', 'datasets', 'upload', 'digits.csv']));
    assert.equal(dataset.name, 'digits');
    assert.equal(dataset.format, 'csv');
    assert.equal(dataset.rows, 60);
    assert.deepEqual(dataset.labels, LABELS);

    const args = ['jobs', 'create', '--dataset', dataset.id, '--hidden-units', '16', '--epochs', '2'];
    const watched = await cli([
      ...args,
      '--batch-size',
      '8',
      '--learning-rate',
      '0.01',
      '--seed',
      '3',
      '--watch',
      '--json',
    ]);
    job = json<Job>(watched);
    // With --json, stdout holds the finished job and nothing is drawn on stderr.
    assert.equal(watched.stderr, '');
    assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
    assert.deepEqual(
      job.history.map((row) => row.epoch),
      [1, 2],
    );
    assert.deepEqual(job.spec.architecture, { type: 'mlp', hiddenUnits: [16], dropout: 0 });
    assert.equal((job.spec.hyperparameters as { batchSize: number }).batchSize, 8);

    const [listed, logs, logLines] = await Promise.all([
      cli(['jobs', 'list', '--json', '--status', 'succeeded']),
      cli(['jobs', 'logs', job.id]),
      cli(['jobs', 'logs', job.id, '--follow', '--json']),
    ]);
    assert.deepEqual(
      json<{ items: Job[] }>(listed).items.map((item) => item.id),
      [job.id],
    );
    assert.equal(logs.code, 0, logs.stderr);
    assert.match(logs.stdout, /status running \(attempt 1\)/);
    assert.match(logs.stdout, /epoch 2 head {2}loss \d\.\d{4}/);
    assert.match(
      logs.stdout.trimEnd().split('\n').at(-1)!,
      new RegExp(`status succeeded: model ${job.modelId}$`),
    );
    // Followed over the event stream, one JSON event a line, ending with the final status.
    const events = logLines.stdout
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as JobEvent);
    assert.equal(events.filter((event) => event.type === 'epoch').length, 2);
    assert.equal(events.at(-1)?.data.status, 'succeeded');
    assert.equal(events.at(-1)?.data.modelId, job.modelId);
  });

  it('shows and downloads the model for tf.loadLayersModel, and predicts a CSV as the downloaded model does', async () => {
    const modelId = job.modelId!;
    await fs.writeFile(path.join(dir, 'rows.csv'), digitsCsv({ labels: LABELS, perClass: 2 }));
    const [listed, shown, downloaded, predicted] = await Promise.all([
      cli(['models', 'list', '--json']),
      cli(['models', 'show', modelId]),
      cli(['--json', 'models', 'download', modelId, 'model']),
      cli(['--json', 'predict', modelId, 'rows.csv', '--top-k', '2']),
    ]);
    assert.deepEqual(
      json<{ items: Model[] }>(listed).items.map((model) => model.id),
      [modelId],
    );
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /labels: 0, 1, 2/);
    const files = json<{ files: Array<{ name: string }> }>(downloaded).files.map((file) => file.name);
    assert.deepEqual(files, ['model.json', 'weights.bin']);

    // Loaded as tf.loadLayersModel('file://…') would: model.json, and the weight files its manifest names beside it.
    const modelJson = JSON.parse(
      await fs.readFile(path.join(dir, 'model', 'model.json'), 'utf8'),
    ) as tf.io.ModelJSON;
    const weights = await Promise.all(
      modelJson.weightsManifest.flatMap((group) =>
        group.paths.map((p) => fs.readFile(path.join(dir, 'model', p))),
      ),
    );
    const local = await tf.loadLayersModel(
      tf.io.fromMemory({
        modelTopology: modelJson.modelTopology,
        weightSpecs: modelJson.weightsManifest.flatMap((group) => group.weights),
        weightData: new Uint8Array(Buffer.concat(weights)).buffer,
      }),
    );
    const { finetuned } = modelJson.userDefinedMetadata as {
      finetuned: { labels: string[]; preprocessing: { standardize: { mean: number[]; std: number[] } } };
    };
    assert.deepEqual(finetuned.labels, LABELS);

    const { predictions } = json<{
      predictions: Array<{ input: string; expected: string; label: string; score: number; top: unknown[] }>;
    }>(predicted);
    const rows = digitRows({ labels: LABELS, perClass: 2 });
    assert.equal(predictions.length, rows.length);
    const { mean, std } = finetuned.preprocessing.standardize;
    const scores = tf.tidy(() => {
      const x = tf.tensor(rows.map((row) => row.pixels.map((v, i) => (v - mean[i]!) / std[i]!)));
      return (local.predict(x) as tf.Tensor).arraySync() as number[][];
    });
    local.dispose();
    predictions.forEach((prediction, i) => {
      assert.equal(prediction.input, `row ${i + 1}`);
      // The CSV's label column is left out of the row and shown beside it.
      assert.equal(prediction.expected, rows[i]!.label);
      assert.equal(prediction.top.length, 2);
      const best = scores[i]!.indexOf(Math.max(...scores[i]!));
      assert.equal(prediction.label, LABELS[best]);
      assert.ok(
        Math.abs(prediction.score - scores[i]![best]!) < 1e-4,
        `${prediction.score} vs ${scores[i]![best]}`,
      );
    });
  });

  it('Ctrl-C without a terminal detaches from a watched job; a job watched to its cancel exits 1', async () => {
    const args = [
      'jobs',
      'create',
      '--dataset',
      dataset.id,
      '--epochs',
      '1000',
      '--batch-size',
      '4',
      '--watch',
    ];
    const watching = start(args);
    // Without a terminal the watch prints a line per epoch on stderr.
    while (!/^epoch 1\/1000 head {2}loss/m.test(watching.run.stderr)) {
      assert.equal(watching.child.exitCode, null, watching.run.stderr);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const id = /^submitted job (job_\w+)$/m.exec(watching.run.stderr)?.[1];
    assert.ok(id, watching.run.stderr);
    watching.child.kill('SIGINT');
    const detached = await watching.done;
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, new RegExp(`^detached from job ${id} \\(running\\)`));

    const cancelled = await cli(['jobs', 'cancel', id, '--json']);
    assert.equal(json<Job>(cancelled).cancelRequested, true);
    const watched = await cli(['jobs', 'watch', id, '--json']);
    assert.equal(watched.code, 1);
    assert.equal((JSON.parse(watched.stdout) as Job).status, 'cancelled');
    assert.match(watched.stderr, new RegExp(`^finetuned: job ${id} cancelled`));
    assert.equal(watched.stderr.trimEnd().split('\n').length, 1, watched.stderr);
  });

  it('uploads a folder of class folders as a tar, and predicts a folder of images', async () => {
    const images = path.join(dir, 'fashion');
    const files = await fashionImages(3);
    for (const file of files) {
      await fs.mkdir(path.dirname(path.join(images, file.name)), { recursive: true });
      await fs.writeFile(path.join(images, file.name), file.data!);
    }
    const uploaded = json<Dataset>(await cli(['--json', 'datasets', 'upload', 'fashion']));
    assert.equal(uploaded.name, 'fashion');
    assert.equal(uploaded.format, 'tar');
    assert.equal(uploaded.kind, 'image');
    assert.equal(uploaded.rows, files.length);
    assert.deepEqual(uploaded.featureShape, [28, 28, 1]);

    // The exported client trains on it and follows the job's event stream to its end.
    const client = createClient({ url: base, apiKey: TEST_KEY });
    const submitted = await unwrap(
      client.POST('/v1/jobs', {
        body: {
          dataset: uploaded.id,
          architecture: { type: 'mlp', hiddenUnits: [8] },
          hyperparameters: { epochs: 1 },
          seed: 1,
        },
      }),
    );
    const seen: JobEvent[] = [];
    for await (const event of client.jobEvents(submitted.id)) seen.push(event);
    assert.equal(seen.at(-1)?.data.status, 'succeeded', JSON.stringify(seen.at(-1)));
    const modelId = seen.at(-1)?.data.modelId as string;

    const predicted = json<{ predictions: Array<{ input: string; top: unknown[] }> }>(
      await cli(['--json', 'predict', modelId, 'fashion', '--top-k', '1']),
    );
    assert.deepEqual(
      predicted.predictions.map((prediction) => prediction.input),
      files.map((file) => file.name).sort(),
    );
    assert.ok(predicted.predictions.every((prediction) => prediction.top.length === 1));
  });

  it('the exported client lists datasets with the key it is given', async () => {
    const client = createClient({ url: `${base}/`, apiKey: TEST_KEY });
    const page = await unwrap(client.GET('/v1/datasets', { params: { query: { limit: 10 } } }));
    assert.deepEqual(page.items.map((item) => item.name).sort(), ['digits', 'fashion']);
    const anonymous = await createClient({ url: base }).GET('/v1/datasets', {});
    assert.equal(anonymous.response.status, 401);
    await assert.rejects(unwrap(Promise.resolve(anonymous)), { name: 'ApiError', status: 401 });
  });
});
