import * as tf from '@tensorflow/tfjs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import { runEntry, serveParent } from '../child-process.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { buildModel, isModelFault } from '../models/model-build.js';
import { checkModelGraph, modelLimits } from '../models/model-graph.js';
import { ModelStore } from '../models/model-store.js';
import { openStore } from '../store/open-store.js';
import { selectBackend } from '../tf/backend.js';
import type { FromHost, HostErrorCode, PredictMessage, ToHost } from './inference-protocol.js';

/**
 * An inference host: a worker thread or a child process of the API that loads models and runs the batches the
 * pool sends it. The pool decides what stays loaded; a host only loads on first use and drops when told.
 */
async function main() {
  const config: Config = isMainThread ? loadConfig() : (workerData as { config: Config }).config;
  const send = (message: FromHost, transfer: ArrayBuffer[] = []) => {
    if (parentPort) parentPort.postMessage(message, transfer);
    else process.send?.(message);
  };
  const logger = createLogger(config.LOG_LEVEL, 'inference-host');
  const backend = await selectBackend(config.TFJS_BACKEND);
  const models = new ModelStore(openStore(config));
  const loaded = new Map<string, tf.LayersModel>();
  // Work on one model runs in arrival order (a drop after the batches sent before it); models do not wait on each other.
  const chains = new Map<string, Promise<void>>();

  const limits = modelLimits(config);

  /** Builds a model and warms it up on the input shape of its record. */
  const build = async (artifacts: tf.io.ModelArtifacts, inputShape: number[]) => {
    // Models stored before uploads were checked as graphs may still hold what TF.js cannot build.
    checkModelGraph(artifacts.modelTopology, limits);
    return (await buildModel(artifacts, () => inputShape)).model;
  };

  const fail = (message: PredictMessage, code: HostErrorCode, error: unknown) =>
    send({ type: 'error', id: message.id, code, message: (error as Error).message ?? String(error) });

  /**
   * The model of a batch, loaded; undefined when the batch has been answered with why it cannot be. A failure
   * that is the model's own is `model_unservable`, which the API remembers (see Predictor); any other may pass.
   */
  const load = async (message: PredictMessage): Promise<tf.LayersModel | undefined> => {
    let artifacts: tf.io.ModelArtifacts;
    try {
      artifacts = await models.artifacts(message.tenant, message.modelId);
    } catch (error) {
      const exists = await models.get(message.tenant, message.modelId).catch(() => true);
      return void fail(message, exists ? 'inference_failed' : 'model_not_found', error);
    }
    try {
      return await build(artifacts, message.inputShape);
    } catch (error) {
      return void fail(message, isModelFault(error) ? 'model_unservable' : 'model_load_failed', error);
    }
  };

  /** Answers a batch, always exactly once. */
  const predict = async (message: PredictMessage) => {
    let model = loaded.get(message.key);
    if (!model) {
      model = await load(message);
      if (!model) return;
      if (message.keep) loaded.set(message.key, model);
    }
    try {
      const scores = tf.tidy(() => {
        const input = tf.tensor(message.input, [message.count, ...message.inputShape]);
        return (model.predict(input) as tf.Tensor).dataSync() as Float32Array;
      });
      send({ type: 'result', id: message.id, scores, classes: scores.length / message.count }, [
        scores.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      fail(message, isModelFault(error) ? 'model_unservable' : 'inference_failed', error);
    } finally {
      if (!message.keep) model.dispose();
    }
  };

  const drop = (key: string) => {
    loaded.get(key)?.dispose();
    loaded.delete(key);
  };

  const handle = (message: ToHost) => {
    if (message.type === 'stats') {
      const { numTensors, numBytes } = tf.memory();
      return send({
        type: 'stats',
        id: message.id,
        stats: { pid: process.pid, models: [...loaded.keys()], numTensors, numBytes },
      });
    }
    const previous = chains.get(message.key) ?? Promise.resolve();
    // A step that throws must not stop the steps after it, nor the host.
    const next = previous
      .then(() => (message.type === 'drop' ? drop(message.key) : predict(message)))
      .catch((error: unknown) => logger.error({ err: error }, 'inference step failed'));
    chains.set(message.key, next);
    void next.finally(() => {
      if (chains.get(message.key) === next) chains.delete(message.key);
    });
  };

  if (parentPort) parentPort.on('message', handle);
  else serveParent(handle);
  send({ type: 'ready', backend });
}

runEntry(main);
