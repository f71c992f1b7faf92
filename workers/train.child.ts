import * as tf from '@tensorflow/tfjs';
import { runEntry, serveParent } from '../src/child-process.js';
import { loadConfig } from '../src/config.js';
import { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { createLogger } from '../src/logger.js';
import { openStore } from '../src/store/open-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { runDeps } from './run-deps.js';
import { runTraining, type RunChannel } from './training-run.js';
import { sendableError, type FromTrainer, type ToTrainer } from './training-runner.js';

/** A training process: started by a worker (workers/trainer.ts), it trains the jobs the worker sends it. */
async function main() {
  const config = loadConfig();
  const logger = createLogger(config.LOG_LEVEL, 'training-process');
  const send = (message: FromTrainer) => process.send?.(message);
  const backend = await selectBackend(config.TFJS_BACKEND);
  const store = openStore(config);
  const checkpoints = new CheckpointStore(store, config.CHECKPOINT_KEEP);
  const deps = runDeps(config, { store, checkpoints, backend, logger });
  let current: AbortController | undefined;

  // When the worker is gone, so is its job, which another worker takes up.
  serveParent((message: ToTrainer) => {
    if (message.type === 'stop') {
      current?.abort(message.reason);
      return;
    }
    const controller = new AbortController();
    current = controller;
    const channel: RunChannel = {
      signal: controller.signal,
      progress: (report) => send({ type: 'progress', report }),
      event: (event) => send({ type: 'event', event }),
    };
    runTraining(deps, message.request, channel).then(
      (result) => send({ type: 'done', result, tensors: tf.memory().numTensors }),
      (error: unknown) =>
        send({ type: 'error', error: sendableError(error), tensors: tf.memory().numTensors }),
    );
  });
  send({ type: 'ready', backend });
}

runEntry(main);
