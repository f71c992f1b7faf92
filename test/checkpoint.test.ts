import * as tf from '@tensorflow/tfjs';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import { FsStore } from '../src/store/fs-store.js';
import { selectBackend } from '../src/tf/backend.js';
import {
  CorruptCheckpoint,
  decodeCheckpoint,
  disposeCheckpoint,
  encodeCheckpoint,
} from '../src/training/checkpoint.js';
import {
  train,
  TrainingStopped,
  type EpochRow,
  type TrainingCheckpoint,
  type TrainingInput,
} from '../src/training/train.js';
import { digitsData } from './helpers/digits.js';
import { loadSerialized } from './helpers/tf-model.js';

const spec = (request: Omit<JobRequest, 'dataset'>) =>
  resolveJobSpec({ dataset: 'ds_00000000000000000000000000', ...request }, () => 0);

const digits = digitsData({ perClass: 60 });

/** A CNN with dropout, a validation split and early stopping that keeps the best weights: all the state. */
const CNN_JOB = spec({
  architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [4, 8], denseUnits: 16, dropout: 0.3 },
  hyperparameters: {
    epochs: 5,
    batchSize: 32,
    learningRate: 0.01,
    earlyStopping: { monitor: 'val_loss', patience: 3, restoreBest: true },
  },
  seed: 11,
});

interface Run {
  history: EpochRow[];
  weights: number[][];
}

/** Trains to the end, returning plain history and weights; the model is disposed. */
async function finish(input: TrainingInput, onCheckpoint?: (c: TrainingCheckpoint) => Promise<void>) {
  const result = await train(input, { onCheckpoint });
  try {
    return {
      history: result.history,
      weights: result.model.getWeights().map((w) => Array.from(w.dataSync())),
    };
  } finally {
    result.dispose();
  }
}

function assertSameRun(actual: Run, expected: Run) {
  assert.deepEqual(
    actual.history.map((r) => [r.epoch, r.phase]),
    expected.history.map((r) => [r.epoch, r.phase]),
  );
  actual.history.forEach((row, i) => {
    for (const key of ['loss', 'accuracy', 'val_loss', 'val_accuracy'] as const) {
      assert.ok(
        Math.abs((row[key] ?? 0) - (expected.history[i]![key] ?? 0)) < 1e-5,
        `epoch ${row.epoch} ${key}: ${row[key]} resumed, ${expected.history[i]![key]} uninterrupted`,
      );
    }
  });
  actual.weights.forEach((w, i) =>
    w.forEach((v, j) => assert.ok(Math.abs(v - expected.weights[i]![j]!) < 1e-5, `weight ${i}[${j}]`)),
  );
}

describe('checkpoints and resume (TF.js on tiny data)', () => {
  let tensorsAtStart: number;
  let uninterrupted: Run;
  let baseFiles: Map<string, Uint8Array | string>;

  before(async () => {
    await selectBackend('auto');
    tensorsAtStart = tf.memory().numTensors;
    uninterrupted = await finish({ spec: CNN_JOB, ...digits });
    const base = await train({
      spec: spec({
        architecture: { type: 'mlp', hiddenUnits: [32, 16] },
        hyperparameters: { epochs: 2 },
        seed: 3,
      }),
      ...digits,
    });
    baseFiles = await ModelStore.serialize(base.model, {});
    base.dispose();
  });

  after(() => assert.equal(tf.memory().numTensors, tensorsAtStart));

  it('resumes from an epoch checkpoint to the same history and weights as an uninterrupted run', async () => {
    const checkpoints: Buffer[] = [];
    const full = await finish(
      { spec: CNN_JOB, ...digits },
      async (c) => void checkpoints.push(await encodeCheckpoint(c)),
    );
    assertSameRun(full, uninterrupted);
    // One after every epoch but the last.
    assert.equal(checkpoints.length, 4);
    const resume = decodeCheckpoint(checkpoints[1]!);
    assert.equal(resume.state.history.length, 2);
    assert.equal(resume.state.batchesDone, 0);
    // Adam's iteration count went through the file: 2 epochs of 15 batches (600 rows less 20% validation).
    assert.equal(resume.optimizer[0]!.tensor.dataSync()[0], 30);
    assertSameRun(await finish({ spec: CNN_JOB, ...digits, resume }), uninterrupted);
  });

  it("stops mid-epoch on a 'handoff' abort with a checkpoint of that batch, and resumes to the same run", async () => {
    const controller = new AbortController();
    let batches = 0;
    let progressSeen = 0;
    const stopped = train(
      { spec: CNN_JOB, ...digits, signal: controller.signal, checkpointEvery: 0, progressIntervalMs: 0 },
      {
        onProgress: async (p) => {
          progressSeen += 1;
          // Epoch 2, third batch: abort; training stops at the next batch boundary.
          if (p.epoch === 2 && p.batch === 3) {
            batches = p.batch;
            controller.abort('handoff');
          }
        },
        onCheckpoint: async (c) => void (saved = await encodeCheckpoint(c)),
      },
    );
    let saved: Buffer | undefined;
    await assert.rejects(
      stopped,
      (error: unknown) => error instanceof TrainingStopped && error.reason === 'handoff',
    );
    assert.ok(progressSeen > 0 && saved, 'a checkpoint was written on the way out');
    const resume = decodeCheckpoint(saved);
    assert.equal(resume.state.history.length, 1);
    assert.equal(resume.state.batchesDone, batches);
    assert.ok(resume.state.partial.samples > 0);
    assertSameRun(await finish({ spec: CNN_JOB, ...digits, resume }), uninterrupted);
  });

  it("stops on a 'cancel' abort without writing a checkpoint, releasing every tensor", async () => {
    const before = tf.memory().numTensors;
    const controller = new AbortController();
    let written = 0;
    await assert.rejects(
      train(
        { spec: CNN_JOB, ...digits, signal: controller.signal },
        {
          onEpoch: async () => controller.abort('cancel'),
          onCheckpoint: async () => void (written += 1),
        },
      ),
      (error: unknown) => error instanceof TrainingStopped && error.reason === 'cancel',
    );
    // The checkpoint after epoch 1 is written before the stop is seen at the next epoch's first boundary.
    assert.equal(written, 1);
    assert.equal(tf.memory().numTensors, before);
  });

  it('resumes a transfer job in its fine-tune phase, with the head-phase history kept', async () => {
    const transferJob = spec({
      baseModel: 'mdl_00000000000000000000000000',
      transfer: { head: { hiddenUnits: [16] } },
      hyperparameters: { epochs: 2, fineTune: { epochs: 2, learningRate: 0.0005 } },
      seed: 5,
    });
    const loadBase = () => loadSerialized(baseFiles);
    const checkpoints: Buffer[] = [];
    const full = await finish(
      { spec: transferJob, ...digits, base: await loadBase() },
      async (c) => void checkpoints.push(await encodeCheckpoint(c)),
    );
    const resume = decodeCheckpoint(checkpoints[2]!);
    assert.equal(resume.state.phase, 'fine-tune');
    assert.deepEqual(
      resume.state.history.map((r) => r.phase),
      ['head', 'head', 'fine-tune'],
    );
    assertSameRun(await finish({ spec: transferJob, ...digits, base: await loadBase(), resume }), full);
  });

  it('refuses a file that is not a whole checkpoint', async () => {
    assert.throws(() => decodeCheckpoint(Buffer.from('not a checkpoint')), CorruptCheckpoint);
    let saved: Buffer | undefined;
    await finish(
      { spec: { ...CNN_JOB, hyperparameters: { ...CNN_JOB.hyperparameters, epochs: 2 } }, ...digits },
      async (c) => {
        saved ??= await encodeCheckpoint(c);
      },
    );
    assert.throws(() => decodeCheckpoint(saved!.subarray(0, saved!.byteLength - 1)), CorruptCheckpoint);
  });

  it('stores checkpoints as listed files, keeps the newest, and skips a corrupt one on resume', async () => {
    const root = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-ckpt-'));
    try {
      const store = new CheckpointStore(new FsStore(root), 2);
      const jobId = 'job_01hzzzzzzzzzzzzzzzzzzzzzzz';
      await finish(
        { spec: CNN_JOB, ...digits },
        async (c) => void (await store.write('default', jobId, c, 1)),
      );
      const listed = await store.list('default', jobId);
      assert.deepEqual(
        listed.map((c) => [c.id, c.epoch, c.batch]),
        [
          ['e000003-b000000', 3, 0],
          ['e000004-b000000', 4, 0],
        ],
      );
      const folder = path.join(root, 'tenants/default/jobs', jobId, 'checkpoints');
      assert.deepEqual((await fs.readdir(folder)).sort(), [
        'e000003-b000000.ckpt',
        'e000003-b000000.json',
        'e000004-b000000.ckpt',
        'e000004-b000000.json',
      ]);
      await fs.truncate(path.join(folder, 'e000004-b000000.ckpt'), 100);
      const latest = await store.latest('default', jobId);
      assert.equal(latest?.info.id, 'e000003-b000000');
      disposeCheckpoint(latest.checkpoint);
      await store.deleteAll('default', jobId);
      assert.deepEqual(await store.list('default', jobId), []);
    } finally {
      await fs.rm(root, { recursive: true, force: true });
    }
  });
});
