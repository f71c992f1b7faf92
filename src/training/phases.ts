import * as tf from '@tensorflow/tfjs';
import { nextMacrotask } from '../event-loop.js';
import type { JobSpec } from '../jobs/job-spec.js';
import type { DatasetTensors } from './data.js';
import type { DisposalScope } from './disposal.js';
import { PREDICT_CHUNK_ROWS } from './evaluate.js';
import type { TransferModel } from './model.js';
import { runPhase, TrainingStopped, type PhasePlan, type TrainingRun } from './phase-loop.js';
import { featuresProgress } from './progress.js';

/** Changes a chunk of rows that stand at places `first`.. of epoch `epoch`'s order: augmentation. */
export type RowTransform = (rows: tf.Tensor, at: { epoch: number; first: number }) => tf.Tensor;

/** A phase's `prepareEpoch` that augments the epoch's rows, or undefined without augmentation. */
export const augmentingEpochs = (augment: RowTransform | null): PhasePlan['prepareEpoch'] =>
  augment ? async (xs, { epoch, skip }) => augment(xs, { epoch, first: skip }) : undefined;

export interface EmbedOptions {
  /** Rows predicted at once; default (and at most) PREDICT_CHUNK_ROWS. */
  chunkRows?: number;
  /** Changes each chunk before the extractor sees it; `start` is the chunk's first row. */
  transform?: (chunk: tf.Tensor, start: number) => tf.Tensor;
  /** Called after each chunk with the rows done so far. */
  onChunk?: (done: number) => Promise<void>;
  /** Checked before each chunk: aborted, the pass stops with {@link TrainingStopped}. */
  signal?: AbortSignal;
}

/**
 * The extractor's output for every row of `x`, computed chunk by chunk (each chunk resized, if the extractor
 * takes stored images, only as it is predicted), yielding to the event loop between chunks. One tensor the
 * caller disposes.
 */
export async function embedRows(
  extractor: tf.LayersModel,
  x: tf.Tensor,
  options: EmbedOptions = {},
): Promise<tf.Tensor> {
  const { transform, onChunk, signal } = options;
  const rows = x.shape[0];
  const step = Math.max(1, Math.floor(options.chunkRows ?? PREDICT_CHUNK_ROWS));
  const parts: tf.Tensor[] = [];
  try {
    for (let start = 0; start < rows; start += step) {
      if (signal?.aborted) throw new TrainingStopped(String(signal.reason));
      const size = Math.min(step, rows - start);
      parts.push(
        tf.tidy(() => {
          const chunk = x.slice(start, size);
          return extractor.predict(transform ? transform(chunk, start) : chunk) as tf.Tensor;
        }),
      );
      await onChunk?.(start + size);
      await nextMacrotask();
    }
    return tf.concat(parts);
  } finally {
    tf.dispose(parts);
  }
}

/** The frozen base's features of the training and validation rows, computed once; released with the scope. */
export interface CachedFeatures {
  x: tf.Tensor;
  xVal: tf.Tensor | null;
}

/** What the head phase fits, and where its rows come from. */
export interface HeadInputs {
  /** Training and validation rows as the dataset holds them (stored images, or standardized features). */
  x: tf.Tensor;
  xVal: tf.Tensor | null;
  /** The whole model as it is fitted on those rows. */
  fitModel: tf.LayersModel;
  /** With the whole base frozen: the base up to the cut (on those rows) and the head to train on its output. */
  frozen: { extractor: tf.LayersModel; head: tf.LayersModel } | null;
  augment: RowTransform | null;
  chunkRows: number | undefined;
}

/**
 * The head phase. With the base frozen, the head trains on the base's features: computed once, in chunks, as a
 * `features` phase that reports progress; with augmentation, the training rows change every epoch, so their
 * features are computed again each epoch (a forward pass of the base over them) and only the validation rows'
 * once. Without a frozen base, the whole model trains on the rows, augmented each epoch if asked. Returns the
 * features computed once, if they were.
 */
export async function trainHead(
  run: TrainingRun,
  inputs: HeadInputs,
  scope: DisposalScope,
): Promise<CachedFeatures | null> {
  const { x, xVal, fitModel, frozen, augment, chunkRows } = inputs;
  const { epochs, learningRate } = run.hyperparameters;
  const phase: PhasePlan = { phase: 'head', fitModel, x, xVal, epochs, learningRate };
  if (!frozen) {
    await runPhase(run, { ...phase, prepareEpoch: augmentingEpochs(augment) });
    return null;
  }
  const embed = (rows: tf.Tensor, options: EmbedOptions) =>
    embedRows(frozen.extractor, rows, { chunkRows, signal: run.signal, ...options });
  if (augment) {
    await run.hooks.onLog?.(
      'augmentation with a frozen base: the features of the training rows are computed again every epoch',
    );
    phase.prepareEpoch = (xs, { epoch, skip }) =>
      embed(xs, { transform: (chunk, start) => augment(chunk, { epoch, first: skip + start }) });
    const [valFeatures = null] = await featuresPass(run, [xVal], embed, chunkRows);
    await runPhase(run, { ...phase, fitModel: frozen.head, xVal: scope.keep(valFeatures) });
    return null;
  }
  const [trainFeatures = null, valFeatures = null] = await featuresPass(run, [x, xVal], embed, chunkRows);
  const features = { x: scope.keep(trainFeatures)!, xVal: scope.keep(valFeatures) };
  await runPhase(run, { ...phase, fitModel: frozen.head, ...features });
  return features;
}

/** The `features` phase: the frozen base's output for each of `sets` (null ones skipped), with progress across all. */
async function featuresPass(
  run: TrainingRun,
  sets: Array<tf.Tensor | null>,
  embed: (rows: tf.Tensor, options: EmbedOptions) => Promise<tf.Tensor>,
  chunkRows = PREDICT_CHUNK_ROWS,
): Promise<Array<tf.Tensor | null>> {
  const sizes = sets.map((set) => set?.shape[0] ?? 0);
  const rows = sizes.reduce((n, size) => n + size, 0);
  const step = Math.max(1, Math.floor(chunkRows));
  const chunks = sizes.reduce((n, size) => n + Math.ceil(size / step), 0);
  const { hooks, plan, pace, history } = run;
  const started = Date.now();
  let [before, chunk] = [0, 0];
  const onChunk = async (done: number) => {
    chunk += 1;
    const now = Date.now();
    if (!hooks.onProgress || (now - pace.lastProgressAt < plan.progressIntervalMs && chunk < chunks)) return;
    pace.lastProgressAt = now;
    const all = before + done;
    const rowsPerSecond = (all / Math.max(now - started, 1)) * 1000;
    await hooks.onProgress(
      featuresProgress(plan, history, { done: all, rows, chunk, chunks, rowsPerSecond }),
    );
  };
  const out: Array<tf.Tensor | null> = [];
  try {
    for (const set of sets) {
      out.push(set ? await embed(set, { onChunk, chunkRows: step }) : null);
      before += set?.shape[0] ?? 0;
    }
  } catch (error) {
    tf.dispose(out.filter((t): t is tf.Tensor => t !== null));
    throw error;
  }
  return out;
}

/** The whole model as it is fitted on the job's rows, and the augmentation of its training rows. */
export type Fitting = Pick<HeadInputs, 'fitModel' | 'augment'>;

/** The fine-tune phase: unfreezes the top base layers and trains the whole model on. */
export async function fineTune(
  run: TrainingRun,
  { trainX, valX }: DatasetTensors,
  transfer: TransferModel,
  { fitModel, augment }: Fitting,
  { epochs, learningRate, unfreeze }: NonNullable<JobSpec['hyperparameters']['fineTune']>,
): Promise<void> {
  const { baseLayers } = transfer;
  const unfrozen = unfreeze ?? baseLayers.length;
  baseLayers.forEach((layer, i) => (layer.trainable = i >= baseLayers.length - unfrozen));
  const resumed = run.resume?.state;
  if (resumed?.phase !== 'fine-tune' || resumed.phaseEpochsDone === 0) {
    await run.hooks.onLog?.(
      `fine-tuning the top ${Math.min(unfrozen, baseLayers.length)} base layers at learning rate ${learningRate}`,
    );
  }
  const prepareEpoch = augmentingEpochs(augment);
  await runPhase(run, {
    phase: 'fine-tune',
    fitModel,
    x: trainX,
    xVal: valX,
    epochs,
    learningRate,
    prepareEpoch,
  });
}
