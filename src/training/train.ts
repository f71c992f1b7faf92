import * as tf from '@tensorflow/tfjs';
import type { DatasetData } from '../datasets/dataset-store.js';
import type { JobSpec } from '../jobs/job-spec.js';
import type { ModelRecord } from '../models/model-store.js';
import type { PixelScaling } from '../models/preprocessing.js';
import { augmenterFor } from './augmentation.js';
import { disposeCheckpoint, restoreWeights, type TrainingCheckpoint } from './checkpoint.js';
import {
  createRng,
  datasetTensors,
  restoreRng,
  selectRows,
  standardization,
  type DatasetTensors,
  type Rng,
  type Rows,
  type Standardization,
} from './data.js';
import { architectureOf } from './architectures/index.js';
import { classWeightsOf } from './class-weights.js';
import { withDisposal } from './disposal.js';
import { evaluate, type Evaluation } from './evaluate.js';
import { fineTune, trainHead, type CachedFeatures } from './phases.js';
import { imageInputsOf, imagePreprocessing, onImages, type ImageInputs } from './image-inputs.js';
import {
  buildFromArchitecture,
  buildTransferModel,
  defaultCutLayer,
  disposeModels,
  seedDropoutPerStep,
  SeedSequence,
  type DropoutSteps,
  type TransferModel,
} from './model.js';
import type { TrainingHooks, TrainingRun } from './phase-loop.js';
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
  /** The pixel scaling stored with the base model, if any (an image base's). */
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
  history: EpochRow[];
  metrics: Record<string, number | null>;
  evaluation: Evaluation | null;
  featureCaching: boolean;
  /** Releases the model and everything it was built from (the base included). */
  dispose: () => void;
}

const PROGRESS_INTERVAL_MS = 250;

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
    const tensors = datasetTensors(input.data, rows, rowShape, input.labels.length, rows.stats);
    [tensors.trainX, tensors.trainY, tensors.valX, tensors.valY].forEach((t) => scope.keep(t));
    const run = trainingRun(input, hooks, { model, rows, tensors, dropoutSteps });
    const onRows = (m: tf.LayersModel) => (images ? onImages(m, images) : m);
    const fitting = { fitModel: onRows(model), augment: augmenterFor(input.spec, images !== null) };

    await logResume(run);
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
    const evaluation =
      cached && frozen && !input.spec.hyperparameters.fineTune
        ? await evaluateModel(frozen.head, { ...tensors, trainX: cached.x, valX: cached.xVal }, input)
        : await evaluateModel(fitting.fitModel, tensors, input);
    const preprocessing = images ? imagePreprocessing(images) : rows.stats && { standardize: rows.stats };
    const featureCaching = frozen !== null && fitting.augment === null;
    const result = { model, inputShape, evaluation, featureCaching, dispose: release };
    return { ...outcome(run, preprocessing), ...result };
  });
}

/** The chosen rows, their standardization, and the shuffling RNG to go on with. */
interface PreparedRows extends Rows {
  stats: Standardization | null;
  rng: Rng;
}

function prepareRows(input: TrainingInput, inputShape: number[], images: ImageInputs | null): PreparedRows {
  const { spec, data, resume } = input;
  let rng = createRng(spec.seed);
  const holdOut = 'split' in spec.validation ? spec.validation.split : null;
  const rows = selectRows(data, input.labels.length, holdOut, input.validationData, rng);
  // From scratch: statistics of the training split. Transfer: the base's own input scaling, which its frozen
  // layers were trained on (none for an uploaded base, which takes its inputs as they are). A resumed run
  // keeps the statistics it started with. Images are scaled by their pixel scaling instead.
  const stats = resume
    ? resume.state.standardization
    : images
      ? null
      : input.base
        ? (input.basePreprocessing ?? null)
        : standardization(data.features, tf.util.sizeFromShape(inputShape), rows.train);
  if (resume) rng = restoreRng(resume.state.rng);
  return { ...rows, stats, rng };
}

function buildModel(
  input: TrainingInput,
  inputShape: number[],
  seeds: SeedSequence,
): { model: tf.LayersModel; transfer: TransferModel | null } {
  const { spec, base } = input;
  const classes = input.labels.length;
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

function trainingRun(
  input: TrainingInput,
  hooks: TrainingHooks,
  parts: { model: tf.LayersModel; rows: PreparedRows; tensors: DatasetTensors; dropoutSteps: DropoutSteps },
): TrainingRun {
  const h = input.spec.hyperparameters;
  const { rows, tensors } = parts;
  const { resume } = input;
  return {
    hyperparameters: h,
    plan: {
      totalEpochs: h.epochs + (h.fineTune?.epochs ?? 0),
      batchesPerEpoch: Math.ceil(rows.train.length / h.batchSize),
      batchSize: h.batchSize,
      trainRows: rows.train.length,
      checkpointEvery: input.checkpointEvery ?? 1,
      progressIntervalMs: input.progressIntervalMs ?? PROGRESS_INTERVAL_MS,
    },
    hooks,
    signal: input.signal,
    model: parts.model,
    trainY: tensors.trainY,
    valY: tensors.valY,
    rng: rows.rng,
    dropoutSteps: parts.dropoutSteps,
    standardization: rows.stats,
    classWeight: classWeightsOf(input.spec.classWeight, input.labels, input.data.labelIndex, rows.train),
    resume,
    history: resume ? [...resume.state.history] : [],
    restoredRow: resume?.state.restoredRow ?? null,
    pace: { lastProgressAt: 0, lastYieldAt: Date.now() },
  };
}

async function logResume({ resume, hooks }: TrainingRun): Promise<void> {
  if (!resume) return;
  const { history, batchesDone, phase } = resume.state;
  await hooks.onLog?.(
    `resumed from the checkpoint after epoch ${history.length}` +
      (batchesDone > 0 ? `, batch ${batchesDone} of epoch ${history.length + 1}` : '') +
      ` (${phase} phase)`,
  );
}

/** Evaluates on the validation rows when there are any, else on the training rows. */
async function evaluateModel(
  model: tf.LayersModel,
  { trainX, trainY, valX, valY }: DatasetTensors,
  { labels, predictChunkRows }: TrainingInput,
): Promise<Evaluation> {
  return valX && valY
    ? evaluate(model, valX, valY, labels, 'validation', predictChunkRows)
    : evaluate(model, trainX, trainY, labels, 'train', predictChunkRows);
}

/** The run's history and the metrics of its result: the best epoch early stopping restored, else the last. */
function outcome(
  run: TrainingRun,
  preprocessing: ModelRecord['preprocessing'],
): Pick<TrainingResult, 'history' | 'metrics' | 'preprocessing'> {
  const final: EpochRow | undefined = run.restoredRow ?? run.history.at(-1);
  return {
    preprocessing,
    history: run.history,
    metrics: {
      loss: final?.loss ?? null,
      accuracy: final?.accuracy ?? null,
      val_loss: final?.val_loss ?? null,
      val_accuracy: final?.val_accuracy ?? null,
    },
  };
}
