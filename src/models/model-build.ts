import * as tf from '@tensorflow/tfjs';
import { ProblemError } from '../errors.js';
import type { ChainedModel } from './graph-base.js';

/** Where building a model failed: TF.js could not make it from its artifacts, or it could not predict. */
export class ModelBuildError extends Error {
  constructor(
    readonly stage: 'load' | 'predict',
    override readonly cause: unknown,
  ) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = 'ModelBuildError';
  }
}

/** Thrown by a `shapeOf` that refuses the model it was given; the model is disposed, and this rethrown. */
export class UnsupportedModel extends Error {}

export interface BuiltModel<M extends ServedModel = LoadedModel> {
  model: M;
  /** The model's scores for one instance of zeros. */
  scores: Float32Array;
  /** Their shape, the batch of one included. */
  outputShape: number[];
}

/** A model as TF.js builds it from one model.json: a LayersModel, or a GraphModel (frozen). */
export type LoadedModel = tf.LayersModel | tf.GraphModel;

/** A model as the service predicts with it: one it loaded, or a head trained on a GraphModel base chained to it. */
export type ServedModel = LoadedModel | ChainedModel;

/** Whether a loaded model is a GraphModel. */
export const isGraphModel = (model: LoadedModel): model is tf.GraphModel => model instanceof tf.GraphModel;

/** Builds the model artifacts describe: a GraphModel for format 'graph-model', else a LayersModel. */
export function loadArtifacts(artifacts: tf.io.ModelArtifacts): Promise<LoadedModel> {
  const handler = tf.io.fromMemory(artifacts);
  return artifacts.format === 'graph-model' ? tf.loadGraphModel(handler) : tf.loadLayersModel(handler);
}

/** Predicts with either kind of model; one with several outputs is not one the service predicts with. */
export function predictWith(model: ServedModel, input: tf.Tensor): tf.Tensor {
  const result = model.predict(input);
  if (result instanceof tf.Tensor) return result;
  const outputs = Array.isArray(result) ? result : Object.values(result);
  if (outputs.length !== 1)
    throw new UnsupportedModel(
      `the model has ${outputs.length} outputs; only single-output models are supported`,
    );
  return outputs[0]!;
}

/**
 * Builds a model from its artifacts and predicts one instance of zeros of the shape `shapeOf` gives it. The first
 * predict compiles the backend's kernels, so a served model is warmed up here rather than in a request; a probed
 * one shows here that it predicts at all. The model is disposed when any step fails. `load` builds it another
 * way than from the artifacts alone (a head chained to its GraphModel base).
 */
export async function buildModel<M extends ServedModel = LoadedModel>(
  artifacts: tf.io.ModelArtifacts,
  shapeOf: (model: M) => number[],
  load?: (artifacts: tf.io.ModelArtifacts) => Promise<M>,
): Promise<BuiltModel<M>> {
  let model: M;
  try {
    model = load ? await load(artifacts) : ((await loadArtifacts(artifacts)) as M);
  } catch (error) {
    throw new ModelBuildError('load', error);
  }
  try {
    const shape = shapeOf(model);
    try {
      let outputShape: number[] = [];
      const scores = tf.tidy(() => {
        const output = predictWith(model, tf.zeros([1, ...shape]));
        outputShape = output.shape;
        return output.dataSync() as Float32Array;
      });
      return { model, scores, outputShape };
    } catch (error) {
      if (error instanceof UnsupportedModel) throw error;
      throw new ModelBuildError('predict', error);
    }
  } catch (error) {
    model.dispose();
    throw error;
  }
}

/** tfjs-layers' own error classes: what it throws for a model it cannot make or run, whatever the machine. */
const LAYERS_ERRORS = new Set(['ValueError', 'NotImplementedError', 'AttributeError', 'AssertionError']);

const isStackOverflow = (error: unknown) =>
  error instanceof RangeError && /call stack size/i.test(error.message);

/**
 * Whether a failure to build or run a model is the model's own and would happen again on any host: a refusal of
 * the graph check, an error class of TF.js's layers, or a stack overflow (a graph too deep to walk). Anything else
 * (memory or backend allocation failures, a lost GPU) may pass, and is not to be remembered against the model.
 */
export function isModelFault(error: unknown): boolean {
  const cause = error instanceof ModelBuildError ? error.cause : error;
  if (cause instanceof ProblemError) return cause.status === 422;
  if (isStackOverflow(cause)) return true;
  return cause instanceof Error && LAYERS_ERRORS.has(cause.constructor.name);
}

/** Whether a failure is a memory allocation that did not succeed, in JavaScript or in a backend's heap. */
export function isMemoryFault(error: unknown): boolean {
  const cause = error instanceof ModelBuildError ? error.cause : error;
  if (!(cause instanceof Error) || isStackOverflow(cause)) return false;
  return /allocation failed|out of memory|\boom\b|cannot allocate|failed to allocate|invalid array length/i.test(
    cause.message,
  );
}
