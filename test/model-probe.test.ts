import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { ProblemError, unavailable, unprocessable } from '../src/errors.js';
import type { InferencePool } from '../src/inference/inference-pool.js';
import { Predictor } from '../src/inference/predictor.js';
import type { AliasStore } from '../src/models/alias-store.js';
import { isMemoryFault, isModelFault, ModelBuildError } from '../src/models/model-build.js';
import { checkModelGraph, modelLimits } from '../src/models/model-graph.js';
import { derivedProbeBytes, ModelProbe, probeOptions, type ProbeOptions } from '../src/models/model-probe.js';
import type { ModelRecord, ModelStore } from '../src/models/model-store.js';
import { validateUpload } from '../src/models/model-upload.js';
import { handMadeFiles, sequential } from './helpers/hostile-models.js';

const MiB = 1024 * 1024;
const silent = { warn: () => {} };

/** A valid upload of one Dense layer, as validateUpload hands it to the probe. */
function upload() {
  const files = handMadeFiles(
    sequential([{ class_name: 'Dense', config: { units: 2, name: 'd', batch_input_shape: [null, 2] } }]),
    [
      { name: 'd/kernel', shape: [2, 2] },
      { name: 'd/bias', shape: [2] },
    ],
  );
  return validateUpload(new Map([...files].map(([name, data]) => [name, Buffer.from(data)])));
}

const options = (overrides: Partial<ProbeOptions> = {}): ProbeOptions => ({
  backend: 'wasm',
  timeoutMs: 120_000,
  maxBytes: 2048 * MiB,
  concurrency: 1,
  logger: silent,
  ...overrides,
});

/** Asserts a 503 that tells the client to come back, not a verdict on the model. */
function assertUnavailable(error: unknown) {
  assert.ok(error instanceof ProblemError, String(error));
  assert.equal(error.status, 503, error.message);
  assert.equal(error.code, 'model_probe_unavailable');
  assert.ok(error.headers['retry-after']);
  return true;
}

describe('the model probe', () => {
  it('answers 503, not invalid_model, when its backend cannot start', async () => {
    // Native TF.js is not installed here: the probe process exits before it is ready.
    const probe = new ModelProbe(options({ backend: 'tensorflow' }));
    await assert.rejects(probe.probe(upload()), assertUnavailable);
  });

  it('once closed, refuses the uploads waiting for a slot and those after with 503', async () => {
    const probe = new ModelProbe(options());
    const running = probe.probe(upload());
    const waiting = probe.probe(upload());
    probe.close();
    await assert.rejects(waiting, assertUnavailable);
    await assert.rejects(running, assertUnavailable);
    await assert.rejects(probe.probe(upload()), assertUnavailable);
  });

  it('derives its memory bound from MODEL_MAX_BYTES, and refuses to start with one below it', () => {
    const derived = probeOptions(loadConfig({}, {}), silent).maxBytes;
    assert.equal(derived, 512 * MiB + 6 * 256 * MiB);
    assert.equal(derivedProbeBytes(16 * MiB), 608 * MiB);
    assert.equal(
      probeOptions(loadConfig({ MODEL_PROBE_MAX_BYTES: 900 * MiB }, {}), silent).maxBytes,
      900 * MiB,
    );
    assert.throws(
      () => probeOptions(loadConfig({ MODEL_PROBE_MAX_BYTES: 100 * MiB }, {}), silent),
      /MODEL_PROBE_MAX_BYTES .* is below MODEL_MAX_BYTES/,
    );
  });
});

describe('which build failures are the model’s own', () => {
  class ValueError extends Error {}

  it('the graph check, TF.js’s layer errors and a stack overflow are; memory and the rest are not', () => {
    assert.ok(isModelFault(unprocessable('model_too_complex', 'too many layers')));
    assert.ok(isModelFault(new ModelBuildError('load', new ValueError('Unknown layer: Foo'))));
    assert.ok(
      isModelFault(new ModelBuildError('predict', new RangeError('Maximum call stack size exceeded'))),
    );
    const oom = new ModelBuildError('load', new RangeError('Array buffer allocation failed'));
    assert.ok(!isModelFault(oom));
    assert.ok(isMemoryFault(oom));
    assert.ok(!isModelFault(new Error('Aborted(OOM)')));
    assert.ok(!isModelFault(new Error('the backend lost its device')));
    assert.ok(!isModelFault(unavailable('store_unavailable', 'down')));
  });
});

describe('what the predictor remembers of models that cannot be served', () => {
  const record = {
    id: 'mdl_01hzzzzzzzzzzzzzzzzzzzzzzz',
    inputShape: [1],
    labels: null,
    preprocessing: null,
    sizeBytes: 8,
    createdAt: '2024-01-01T00:00:00.000Z',
  } as unknown as ModelRecord;

  /** A predictor over a pool that fails every batch with `failure`, on a clock the test moves. */
  function predictorFailingWith(failure: () => Error) {
    // Not at 0: the cache takes a start time of 0 for an entry without a TTL.
    const clock = { at: 10_000, now: () => clock.at };
    const counts = { batches: 0 };
    const pool = {
      predict: () => {
        counts.batches += 1;
        return Promise.reject(failure());
      },
      drop: () => {},
    } as unknown as InferencePool;
    const deps = {
      models: {} as ModelStore,
      aliases: {} as AliasStore,
      pool,
      redis: {} as Redis,
      prefix: 'test',
      imageLimits: { maxFileBytes: 1024, maxPixels: 1024 },
    };
    const predictor = new Predictor(deps, {
      unservableTtlMs: 1_000,
      clock,
    });
    const predict = () => predictor.predict('default', record, { instances: [[1]] }, 1);
    return { clock, counts, predict };
  }

  it('a model’s own failure is answered without a batch until its TTL has passed', async () => {
    const { clock, counts, predict } = predictorFailingWith(() =>
      unprocessable('model_unservable', 'the model cannot be built', { modelId: record.id }),
    );
    await assert.rejects(predict(), { code: 'model_unservable' });
    await assert.rejects(predict(), { code: 'model_unservable' });
    assert.equal(counts.batches, 1);
    clock.at = 10_999;
    await assert.rejects(predict(), { code: 'model_unservable' });
    assert.equal(counts.batches, 1);
    clock.at = 11_001;
    await assert.rejects(predict(), { code: 'model_unservable' });
    assert.equal(counts.batches, 2, 'tried again once the TTL had passed');
  });

  it('a failure that may pass is not remembered', async () => {
    const { counts, predict } = predictorFailingWith(() =>
      unavailable('model_load_failed', 'could not be loaded just now'),
    );
    await assert.rejects(predict(), { code: 'model_load_failed', status: 503 });
    await assert.rejects(predict(), { code: 'model_load_failed', status: 503 });
    assert.equal(counts.batches, 2);
  });
});

describe('the graph check finds weights as TF.js names them', () => {
  const limits = modelLimits(loadConfig({}, {}));
  const dense = sequential([
    { class_name: 'Dense', config: { units: 3, name: 'dense', batch_input_shape: [null, 2] } },
  ]);

  it('under the scope of an outer model, or with a cell name TF.js leaves out', () => {
    for (const scope of ['seq/', 'outer/seq/']) {
      checkModelGraph(dense, limits, [
        { name: `${scope}dense/kernel`, shape: [2, 3] },
        { name: `${scope}dense/bias`, shape: [3] },
      ]);
    }
    checkModelGraph(dense, limits, [
      { name: 'dense/cell/kernel', shape: [2, 3] },
      { name: 'dense/cell/bias', shape: [3] },
    ]);
    // Keras 3 names weights by position, which only TF.js matches.
    checkModelGraph(dense, limits, [
      { name: 'dense/0', shape: [9, 9] },
      { name: 'dense/1', shape: [9] },
    ]);
  });

  it('and still refuses a scoped weight of the wrong shape, naming it', () => {
    assert.throws(
      () =>
        checkModelGraph(dense, limits, [
          { name: 'seq/dense/kernel', shape: [2, 4] },
          { name: 'seq/dense/bias', shape: [3] },
        ]),
      (error: ProblemError) => {
        assert.equal(error.code, 'weight_mismatch');
        assert.equal(error.extensions.weight, 'seq/dense/kernel');
        return true;
      },
    );
  });
});
