import * as tf from '@tensorflow/tfjs';
import type { DatasetData } from '../datasets/dataset-store.js';
import type { JobSpec } from '../jobs/job-spec.js';
import type { ModelRecord } from '../models/model-store.js';
import type { PixelScaling } from '../models/preprocessing.js';
import { augmenterFor } from './augmentation.js';
import { disposeCheckpoint, restoreWeights, type TrainingCheckpoint } from './checkpoint.js';
import { createRng, datasetTensors, restoreRng, selectRows, type Standardization } from './data.js';
import { architectureOf } from './architectures/index.js';
import { withDisposal } from './disposal.js';
import type { Evaluation } from './evaluate.js';
import { fineTune, trainHead, type CachedFeatures } from './phases.js';
import { imageInputsOf, imagePreprocessing, onImages, type ImageInputs } from './image-inputs.js';
import { preprocessingOf, rowPreprocessing } from './input-preprocessing.js';
import { warnAboutValidation } from './validation-warnings.js';
import {
  buildFromArchitecture,
  buildTransferModel,
  defaultCutLayer,
  disposeModels,
  seedDropoutPerStep,
  SeedSequence,
  type TransferModel,
} from './model.js';
import type { TrainingHooks } from './phase-loop.js';
import { evaluateModel, logResume, outcome, trainingRun, type PreparedRows } from './run-setup.js';
import type { RegressionEvaluation } from './regression-evaluation.js';
import { targetScaling, TASKS, taskOf, type TargetScaling, type TaskName } from './tasks.js';
import type { EpochRow } from './progress.js';

export { CheckpointMismatch, type CheckpointState, type TrainingCheckpoint } from './checkpoint.js';
export { CHECKPOINTED_STOPS, TrainingDiverged, TrainingStopped, type TrainingHooks } from './phase-loop.js';
export type { EpochRow, Phase, Progress } from './progress.js';

export interface TrainingInput {
  spec: JobSpec;
  /** Feature shape and label set of the training dataset. */
  featureShape: number[];
  labels: string[];
  data: DatasetData;
  /** A separate validation set, its labels already mapped to indices of `labels`. */
  validationData?: DatasetData;
  base?: tf.LayersModel;
  /** The standardization stored with the base model, if any. */
  basePreprocessing?: Standardization | null;
  /** The dataset holds images: `data.features` are pixels 0-255, `featureShape` [H, W, C]. */
  images?: boolean;
  /** The scaling of every input value stored with the base model, if any (an image base's, or rows scaled). */
  basePixels?: PixelScaling | null;
  /** Train the head on features the frozen base computed once (default). Off only to measure what it saves. */
  featureCaching?: boolean;
  /** Rows evaluation and feature caching predict at once; default (and at most) PREDICT_CHUNK_ROWS. */
  predictChunkRows?: number;
  /** The least time between progress reports within an epoch; default 250 ms. */
  progressIntervalMs?: number;
  /** A checkpoint to go on from; its tensors are disposed by train(). */
  resume?: TrainingCheckpoint;
  /** Write a checkpoint after every this many epochs (0: never); default 1. */
  checkpointEvery?: number;
  /** Skip an epoch's checkpoint when the last one is more recent than this; default 0 (never skip). */
  checkpointMinIntervalMs?: number;
  /**
   * Stops training at the next batch boundary. Aborted with reason 'handoff' or 'pause', training writes a
   * checkpoint first (so a worker can go on from it); with any other reason it just stops. Either way it throws
   * {@link TrainingStopped}.
   */
  signal?: AbortSignal;
}

export interface TrainingResult {
  model: tf.LayersModel;
  inputShape: number[];
  preprocessing: ModelRecord['preprocessing'];
  task: TaskName;
  /** Regression: how the target was scaled, which predictions undo. */
  targetScaling: TargetScaling | null;
  history: EpochRow[];
  metrics: Record<string, number | null>;
  evaluation: Evaluation | null;
  /** Regression: how well the model does in the target's units (evaluation is then null). */
  regressionEvaluation: RegressionEvaluation | null;
  featureCaching: boolean;
  /** Releases the model and everything it was built from (the base included). */
  dispose: () => void;
}

/** The input shape the model is built for: the base's, the CNN's, or the dataset's. */
export function modelInputShape(spec: JobSpec, featureShape: number[], base?: tf.LayersModel): number[] {
  if (base) return base.inputs[0]!.shape.slice(1) as number[];
  if (spec.architecture)
    return architectureOf(spec.architecture.type).inputShape(spec.architecture, featureShape);
  return featureShape;
}

/**
 * Trains a job: a model from scratch or a new head on a cut base model, Adam throughout, an optional fine-tune
 * phase. When the base is fully frozen the head trains on features the base computed once (every epoch, with
 * augmentation). Images are resized to the model's input and scaled batch by batch. Tensors it creates
 * are disposed before it returns, except the returned model, which the caller disposes. The base model passed
 * in becomes part of the returned model (or is disposed with it).
 *
 * With `resume`, training goes on from a checkpoint: the same seed and data give the same run as one never
 * interrupted (same shuffles, dropout masks and Adam steps).
 */
export async function train(input: TrainingInput, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  return withDisposal(async (scope) => {
    // The checkpoint goes however training ends; the models only if it fails, as on success they are the caller's.
    scope.defer(() => disposeCheckpoint(input.resume));
    let release = () => disposeModels(input.base);
    scope.ifFailed(() => release());

    const seeds = new SeedSequence(input.spec.seed);
    const inputShape = modelInputShape(input.spec, input.featureShape, input.base);
    const images = imageInputsOf(input, inputShape);
    const rows = prepareRows(input, inputShape, images);
    const { model, transfer } = buildModel(input, inputShape, seeds);
    release = () => disposeModels(model, transfer?.head, input.base);
    const dropoutSteps = seedDropoutPerStep(model, seeds, { value: input.resume?.state.dropoutSteps ?? 0 });
    if (input.resume) restoreWeights(model, input.resume);
    // Images stay at their stored size: the models fitted on them resize each batch as it goes in.
    const rowShape = images?.imageShape ?? inputShape;
    const targetsOf = (data: DatasetData, at: ArrayLike<number>) =>
      rows.task.targets(data, at, input.labels.length, rows.targetScaling);
    const tensors = datasetTensors(
      input.data,
      rows,
      rowShape,
      targetsOf,
      preprocessingOf(rows.pixels, rows.stats),
    );
    [tensors.trainX, tensors.trainY, tensors.valX, tensors.valY].forEach((t) => scope.keep(t));
    const run = trainingRun(input, hooks, { model, rows, tensors, dropoutSteps });
    const onRows = (m: tf.LayersModel) => (images ? onImages(m, images) : m);
    const fitting = { fitModel: onRows(model), augment: augmenterFor(input.spec, images !== null) };

    await logResume(run);
    if (!input.resume) await warnAboutValidation(hooks, input, rows);
    const frozen = cachesFeatures(input, transfer) ? transfer : null;
    let cached: CachedFeatures | null = null;
    if (input.resume?.state.phase !== 'fine-tune') {
      const { trainX: x, valX: xVal } = tensors;
      const base = frozen && { extractor: onRows(frozen.extractor), head: frozen.head };
      const chunkRows = input.predictChunkRows;
      cached = await trainHead(run, { x, xVal, ...fitting, frozen: base, chunkRows }, scope);
    }
    if (input.spec.hyperparameters.fineTune && transfer) {
      await fineTune(run, tensors, transfer, fitting, input.spec.hyperparameters.fineTune);
    }
    // A base that stayed frozen throughout gives the features it gave the head: the head alone evaluates on them.
    const evaluated =
      cached && frozen && !input.spec.hyperparameters.fineTune
        ? await evaluateModel(frozen.head, { ...tensors, trainX: cached.x, valX: cached.xVal }, input, rows)
        : await evaluateModel(fitting.fitModel, tensors, input, rows);
    const regression = 'task' in evaluated;
    const evaluation = regression ? null : evaluated;
    const regressionEvaluation = regression ? evaluated : null;
    const preprocessing = images ? imagePreprocessing(images) : preprocessingOf(rows.pixels, rows.stats);
    const featureCaching = frozen !== null && fitting.augment === null;
    const task = { task: rows.task.name, targetScaling: rows.targetScaling };
    const result = {
      model,
      inputShape,
      evaluation,
      regressionEvaluation,
      featureCaching,
      dispose: release,
      ...task,
    };
    return { ...outcome(run, preprocessing), ...result };
  });
}

function prepareRows(input: TrainingInput, inputShape: number[], images: ImageInputs | null): PreparedRows {
  const { spec, data, resume } = input;
  let rng = createRng(spec.seed);
  const holdOut = 'split' in spec.validation ? spec.validation.split : null;
  const task = TASKS[taskOf(spec)];
  // A regression's rows are split at random: its labels are numbers, not classes to keep the balance of.
  const strata =
    task.name === 'regression' ? { ...data, labelIndex: new Uint32Array(data.labelIndex.length) } : data;
  const classes = task.name === 'regression' ? 1 : input.labels.length;
  const rows = selectRows(strata, classes, holdOut, input.validationData, rng);
  if (rows.validation?.data === strata) rows.validation.data = data;
  const scaling = task.name === 'regression' ? targetScaling(data.targets!, rows.train) : null;
  // Rows of numbers: the job's preprocessing from the training split, or the base's own (input-preprocessing.ts).
  // A resumed run keeps the statistics it started with. Images are scaled batch by batch instead (image-inputs.ts).
  const preprocessing = resume
    ? preprocessingOf(resume.state.pixels, resume.state.standardization)
    : images
      ? null
      : rowPreprocessing(input, inputShape, rows.train);
  const [stats, pixels] = [preprocessing?.standardize ?? null, preprocessing?.pixels ?? null];
  if (resume) rng = restoreRng(resume.state.rng);
  return { ...rows, stats, pixels, rng, task, targetScaling: scaling };
}

function buildModel(
  input: TrainingInput,
  inputShape: number[],
  seeds: SeedSequence,
): { model: tf.LayersModel; transfer: TransferModel | null } {
  const { spec, base } = input;
  const classes = TASKS[taskOf(spec)].output(input.labels.length);
  if (base && spec.transfer) {
    const cutLayer = spec.transfer.cutLayer ?? defaultCutLayer(base);
    if (!cutLayer) throw new Error('the base model has no Dense layer to cut below; name a cutLayer');
    const transfer = buildTransferModel(base, { ...spec.transfer, cutLayer }, classes, seeds);
    return { model: transfer.model, transfer };
  }
  if (spec.architecture) {
    return { model: buildFromArchitecture(spec.architecture, inputShape, classes, seeds), transfer: null };
  }
  throw new Error('a job needs an architecture or a base model');
}

/** Whether the head trains on features the base computed once: only while the whole base is frozen. */
function cachesFeatures(input: TrainingInput, transfer: TransferModel | null): boolean {
  return (
    (input.featureCaching ?? true) &&
    transfer !== null &&
    transfer.baseLayers.every((layer) => !layer.trainable)
  );
}
