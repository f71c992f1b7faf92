import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createClient, unwrap, type Dataset } from 'finetuned/client';
import type { SweepView } from '../src/sweeps/sweep-view.js';
import { assertOneLine, cliRunner, jsonOf as json } from './helpers/cli.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, TEST_KEY, type TestEnv } from './helpers/env.js';
import { listen } from './helpers/processes.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

describe('finetuned sweeps, run as the bin against a listening API with a training worker', () => {
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let worker: InProcessWorker;
  let dir: string;
  let dataset: Dataset;

  const { start, cli } = cliRunner(
    () => dir,
    () => ({ FINETUNED_URL: base, FINETUNED_API_KEY: TEST_KEY, XDG_CONFIG_HOME: path.join(dir, 'config') }),
  );

  before(async () => {
    env = await createTestEnv('cli-sweeps', { MAX_EVENT_LOOP_DELAY_MS: 60_000 });
    ({ server, base } = await listen(env.config, { credentials: false }));
    worker = await startWorker(env.config);
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-cli-sweeps-'));
    await fs.writeFile(path.join(dir, 'digits.csv'), digitsCsv({ labels: ['0', '1', '2'], perClass: 20 }));
    dataset = json<Dataset>(await cli(['--json', 'datasets', 'upload', 'digits.csv']));
  });

  after(async () => {
    await worker?.close();
    await server?.close();
    await env?.cleanup();
    if (dir) await fs.rm(dir, { recursive: true, force: true });
  });

  it('creates a grid sweep from a file and flags, watches it trial by trial, and names the best', async () => {
    // The file's method and epochs are overridden by the flags; its batch size and layers are kept.
    await fs.writeFile(
      path.join(dir, 'sweep.json'),
      JSON.stringify({
        name: 'digits rates',
        job: {
          dataset: dataset.id,
          architecture: { type: 'mlp', hiddenUnits: [8] },
          hyperparameters: { epochs: 20, batchSize: 16 },
        },
        // A fast rate first, so that the slow one is behind it after its grace epoch and is stopped.
        space: { learningRate: { values: [0.05, 0.0005] } },
        method: 'random',
        earlyStopping: { rule: 'median', graceEpochs: 1, minTrials: 1 },
      }),
    );
    const args = ['sweeps', 'create', '--file', 'sweep.json', '--method', 'grid', '--epochs', '3'];
    const watched = await cli([...args, '--parallel', '1', '--seed', '1', '--watch']);
    assert.equal(watched.code, 0, watched.stderr + watched.stdout);
    const id = /^submitted sweep (swp_\w+): 2 trials$/m.exec(watched.stderr)?.[1];
    assert.ok(id, watched.stderr);

    const client = createClient({ url: base, apiKey: TEST_KEY });
    const view = await unwrap(client.GET('/v1/sweeps/{id}', { params: { path: { id } } }));
    assert.equal(view.status, 'succeeded');
    assert.equal(view.method, 'grid');
    assert.equal(view.parallel, 1);
    assert.deepEqual((view.spec as { job: { hyperparameters: object } }).job.hyperparameters, {
      epochs: 3,
      batchSize: 16,
    });
    assert.equal(view.best?.trial, 1, JSON.stringify(view.trials));
    assert.equal(view.trials[1]?.stoppedEarly?.epoch, 2, JSON.stringify(view.trials));

    // Without a terminal, a line on stderr as each trial starts, is stopped early and ends, then the sweep's end.
    const lines = watched.stderr.trimEnd().split('\n');
    const number = String.raw`\d\.\d{4}`;
    const expected = [
      /^trial 1\/2 started: learningRate=0\.05$/,
      new RegExp(`^trial 1/2 succeeded: val_accuracy ${number}$`),
      /^trial 2\/2 started: learningRate=0\.0005$/,
      new RegExp(
        `^trial 2/2 stopped early after epoch 2: val_accuracy ${number} behind the median ${number} of 1 other trial$`,
      ),
      new RegExp(`^trial 2/2 succeeded: val_accuracy ${number}$`),
      new RegExp(`^sweep succeeded: best trial 1, val_accuracy ${number}$`),
    ];
    assert.deepEqual(
      lines.filter((line) => /^(trial|sweep succeeded)/.test(line)).map((line, i) => expected[i]?.test(line)),
      expected.map(() => true),
      watched.stderr,
    );

    // The final table on stdout: the facts name the best trial, its row is marked, the stopped one says when.
    assert.match(watched.stdout, new RegExp(`^${id} {2}digits rates$`, 'm'));
    assert.match(watched.stdout, /^ {2}best: trial 1 \(learningRate=0\.05\): val_accuracy /m);
    assert.match(
      watched.stdout,
      /^ {2}early stopping: median rule after 1 grace epoch, against at least 1 other trial$/m,
    );
    const rows = watched.stdout.split('\n').filter((line) => /^\d/.test(line));
    assert.equal(rows.length, 2, watched.stdout);
    assert.match(rows[0]!, /^1 \(best\) +learningRate=0\.05 +succeeded +\d\.\d{4} +3 +-$/);
    // Stopped after epoch 2, it ends with the epoch under way when the verdict came (2, or 3 on a busy machine).
    assert.match(
      rows[1]!,
      new RegExp(
        `^2 +learningRate=0\\.0005 +succeeded +${number} +[23] +epoch 2: ${number} < median ${number}$`,
      ),
    );

    const [got, listed, cancelled] = await Promise.all([
      cli(['sweeps', 'get', id, '--json']),
      cli(['sweeps', 'list', '--json']),
      cli(['sweeps', 'cancel', id]),
    ]);
    assert.deepEqual(json<SweepView>(got), view);
    assert.deepEqual(
      json<{ items: SweepView[] }>(listed).items.map((sweep) => sweep.id),
      [id],
    );
    // A finished sweep cannot be cancelled: a 4xx, exit 2.
    assert.equal(cancelled.code, 2);
    assertOneLine(cancelled, /^finetuned: 409 sweep_finished: sweep swp_\w+ has already succeeded/);
  });

  it('Ctrl-C detaches from a watched sweep; one cancelled and watched to its end exits 1', async () => {
    const space = JSON.stringify({ batchSize: { values: [4, 8] } });
    const args = ['sweeps', 'create', '--dataset', dataset.id, '--space', space, '--method', 'grid'];
    const watching = start([...args, '--epochs', '1000', '--parallel', '1', '--watch']);
    while (!/^trial 1\/2 started: batchSize=4$/m.test(watching.run.stderr)) {
      assert.equal(watching.child.exitCode, null, watching.run.stderr);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const id = /^submitted sweep (swp_\w+)/m.exec(watching.run.stderr)?.[1];
    assert.ok(id, watching.run.stderr);
    watching.child.kill('SIGINT');
    const detached = await watching.done;
    assert.equal(detached.code, 0, detached.stderr);
    assert.match(detached.stdout, new RegExp(`^detached from sweep ${id} \\(running\\)`));

    const cancelled = await cli(['sweeps', 'cancel', id]);
    assert.equal(cancelled.code, 0, cancelled.stderr);
    assert.match(
      cancelled.stdout.trimEnd(),
      new RegExp(`^sweep ${id}: (cancelled|running \\(cancel under way\\))$`),
    );
    const watched = await cli(['sweeps', 'watch', id, '--json']);
    assert.equal(watched.code, 1);
    const ended = JSON.parse(watched.stdout) as SweepView;
    assert.equal(ended.status, 'cancelled');
    assert.deepEqual(
      ended.trials.map((trial) => trial.status),
      ['cancelled', 'cancelled'],
    );
    assert.equal(watched.stderr, `finetuned: sweep ${id} cancelled\n`);
  });

  it('a refused sweep is one line naming the field at fault, exit 2', async () => {
    const space = JSON.stringify({ learningRate: { min: 0.001, max: 0.1 } });
    const [grid, notJson] = await Promise.all([
      cli(['sweeps', 'create', '--dataset', dataset.id, '--space', space, '--method', 'grid']),
      cli(['sweeps', 'create', '--dataset', dataset.id, '--space', '{learningRate']),
    ]);
    assert.equal(grid.code, 2);
    assertOneLine(
      grid,
      /^finetuned: 400 invalid_sweep: a grid tries listed values.*\(field \/space\/learningRate\)$/,
    );
    assert.equal(notJson.code, 2);
    assertOneLine(notJson, /^finetuned: --space is not JSON/);
  });
});
