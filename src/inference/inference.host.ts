import * as tf from '@tensorflow/tfjs';
import { isMainThread, parentPort, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';
import { runEntry, serveParent } from '../child-process.js';
import { loadConfig, type Config } from '../config.js';
import { createLogger } from '../logger.js';
import { graphBaseFileOf, loadChained } from '../models/graph-base.js';
import { buildModel, isModelFault, predictWith, type ServedModel } from '../models/model-build.js';
import { checkGraphTopology } from '../models/graph-topology.js';
import { checkModelGraph, modelLimits, type ModelLimits } from '../models/model-graph.js';
import { ModelStore } from '../models/model-store.js';
import { openStore } from '../store/open-store.js';
import { selectBackend } from '../tf/backend.js';
import { answerDecode } from './image-instances.js';
import type { FromHost, HostErrorCode, PredictMessage, ToHost } from './inference-protocol.js';

type Send = (message: FromHost, transfer?: ArrayBuffer[]) => void;

const fail = (send: Send, message: PredictMessage, code: HostErrorCode, error: unknown) =>
  send({ type: 'error', id: message.id, code, message: (error as Error).message ?? String(error) });

/**
 * The model of a batch, built and warmed up on the input shape of its record; undefined when the batch has been
 * answered with why it cannot be. A failure that is the model's own is `model_unservable`, which the API
 * remembers (see Predictor); any other may pass.
 */
async function load(
  models: ModelStore,
  limits: ModelLimits,
  message: PredictMessage,
  send: Send,
): Promise<ServedModel | undefined> {
  let artifacts: tf.io.ModelArtifacts;
  let base: tf.io.ModelArtifacts | null = null;
  try {
    artifacts = await models.artifacts(message.tenant, message.modelId);
    const baseFile = graphBaseFileOf(artifacts);
    if (baseFile) base = await models.artifacts(message.tenant, message.modelId, baseFile);
  } catch (error) {
    const exists = await models.get(message.tenant, message.modelId).catch(() => true);
    return void fail(send, message, exists ? 'inference_failed' : 'model_not_found', error);
  }
  try {
    // Models stored before uploads were checked as graphs may still hold what TF.js cannot build.
    if (artifacts.format === 'graph-model') checkGraphTopology(artifacts.modelTopology, limits);
    else checkModelGraph(artifacts.modelTopology, limits);
    const shape = () => message.inputShape;
    if (!base) return (await buildModel(artifacts, shape)).model;
    // A head trained on a GraphModel base: the base is stored beside it, and runs first.
    checkGraphTopology(base.modelTopology, limits);
    const chained = base;
    return (await buildModel(artifacts, shape, (head) => loadChained(head, chained))).model;
  } catch (error) {
    return void fail(send, message, isModelFault(error) ? 'model_unservable' : 'model_load_failed', error);
  }
}

/** What a host does with each message of the pool: its loaded models, and the work on each in order. */
function createHandler(models: ModelStore, limits: ModelLimits, send: Send, logger: Pick<Logger, 'error'>) {
  const loaded = new Map<string, ServedModel>();
  // Work on one model runs in arrival order (a drop after the batches sent before it); models do not wait on each other.
  const chains = new Map<string, Promise<void>>();

  /** Answers a batch, always exactly once. */
  const predict = async (message: PredictMessage) => {
    let model = loaded.get(message.key);
    if (!model) {
      model = await load(models, limits, message, send);
      if (!model) return;
      if (message.keep) loaded.set(message.key, model);
    }
    try {
      const scores = tf.tidy(() => {
        const input = tf.tensor(message.input, [message.count, ...message.inputShape]);
        return predictWith(model, input).dataSync() as Float32Array;
      });
      send({ type: 'result', id: message.id, scores, classes: scores.length / message.count }, [
        scores.buffer as ArrayBuffer,
      ]);
    } catch (error) {
      fail(send, message, isModelFault(error) ? 'model_unservable' : 'inference_failed', error);
    } finally {
      if (!message.keep) model.dispose();
    }
  };

  const drop = (key: string) => {
    loaded.get(key)?.dispose();
    loaded.delete(key);
  };

  return (message: ToHost) => {
    // Decoding uses no model: it runs at once, beside the batches.
    if (message.type === 'decode') return void answerDecode(message, send);
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
}

/**
 * An inference host: a worker thread or a child process of the API that loads models and runs the batches the
 * pool sends it. The pool decides what stays loaded; a host only loads on first use and drops when told.
 */
async function main() {
  const config: Config = isMainThread ? loadConfig() : (workerData as { config: Config }).config;
  const send: Send = (message, transfer = []) => {
    if (parentPort) parentPort.postMessage(message, transfer);
    else process.send?.(message);
  };
  const logger = createLogger(config.LOG_LEVEL, 'inference-host');
  const backend = await selectBackend(config.TFJS_BACKEND);
  const handle = createHandler(new ModelStore(openStore(config)), modelLimits(config), send, logger);
  if (parentPort) parentPort.on('message', handle);
  else serveParent(handle);
  send({ type: 'ready', backend });
}

runEntry(main);
