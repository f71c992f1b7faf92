import * as tf from '@tensorflow/tfjs';
import { nextMacrotask } from '../event-loop.js';
import type { DatasetData } from '../datasets/dataset-store.js';
import type { JobSpec } from '../jobs/job-spec.js';
import type { ModelRecord } from '../models/model-store.js';
import {
  createRng,
  featureTensor,
  restoreRng,
  type RngState,
  labelTensor,
  shuffleInPlace,
  standardization,
  stratifiedSplit,
  type Standardization,
} from './data.js';
import { disposeCheckpoint } from './checkpoint.js';
import { evaluate, predictTensor, type Evaluation } from './evaluate.js';
import {
  buildFromArchitecture,
  buildTransferModel,
  defaultCutLayer,
  disposeModels,
  modelVariables,
  seedDropoutPerStep,
  SeedSequence,
  type TransferModel,
} from './model.js';

export type Phase = 'head' | 'fine-tune';

export interface EpochRow {
  epoch: number;
  phase: Phase;
  loss: number;
  accuracy: number;
  val_loss: number | null;
  val_accuracy: number | null;
}

export interface Progress {
  phase: Phase;
  /** 1-based epoch across both phases. */
  epoch: number;
  epochs: number;
  batch: number;
  batches: number;
  /** Share of all planned batches done, 0..1. */
  fraction: number;
  samplesPerSecond: number | null;
  /** Seconds left at the current pace, if every planned epoch runs. */
  etaSeconds: number | null;
  metrics: Partial<Omit<EpochRow, 'epoch' | 'phase'>>;
  history: EpochRow[];
}

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
   * Stops training at the next batch boundary. Aborted with reason 'handoff', training writes a checkpoint first
   * (so another worker can go on from it); with any other reason it just stops. Either way it throws
   * {@link TrainingStopped}.
   */
  signal?: AbortSignal;
}

/** Where training stands, in plain values: everything but the tensors of a checkpoint. */
export interface CheckpointState {
  phase: Phase;
  /** Epochs finished in this phase. */
  phaseEpochsDone: number;
  /** The phase ended (all epochs, or early stopping) and only its wrap-up remains. */
  phaseDone: boolean;
  /** Batches finished of the epoch under way; 0 at an epoch boundary. */
  batchesDone: number;
  /** Sums over the finished batches of the epoch under way, weighted by batch size. */
  partial: { loss: number; accuracy: number; samples: number };
  /** The shuffling RNG before the shuffle of the epoch under way (or the next one). */
  rng: RngState;
  dropoutSteps: number;
  history: EpochRow[];
  /** The best epoch early stopping restored in an earlier phase. */
  restoredRow: EpochRow | null;
  standardization: Standardization | null;
  earlyStopping: { best: number | null; wait: number; bestRow: EpochRow | null } | null;
}

/**
 * A resumable snapshot of training. The tensors handed to `onCheckpoint` belong to the training run and are
 * valid only until the hook returns.
 */
export interface TrainingCheckpoint {
  state: CheckpointState;
  /** The whole model's weights, layer by layer (see {@link modelVariables}). */
  weights: tf.Tensor[];
  /** Early stopping's best weights, when it keeps them. */
  bestWeights: tf.Tensor[] | null;
  /** Adam's state: the iteration count, then the first and the second moment estimates. */
  optimizer: Array<{ name: string; tensor: tf.Tensor }>;
}

export interface TrainingHooks {
  /** Called at most a few times a second within epochs, and after every epoch. */
  onProgress?: (progress: Progress) => Promise<void>;
  /** Called after every epoch with its row. */
  onEpoch?: (row: EpochRow) => Promise<void>;
  onLog?: (message: string) => Promise<void>;
  /** Called with a checkpoint to store; training waits for it. */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => Promise<void>;
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

/** The loss stopped being a finite number: retrying cannot help, a lower learning rate may. */
export class TrainingDiverged extends Error {
  readonly code = 'training_diverged';
}

/** Training stopped at a batch boundary because its signal was aborted; `reason` is the signal's reason. */
export class TrainingStopped extends Error {
  constructor(readonly reason: string) {
    super(`training stopped: ${reason}`);
  }
}

/** A checkpoint that does not fit the model being resumed. */
export class CheckpointMismatch extends Error {
  readonly code = 'checkpoint_mismatch';
}

const PROGRESS_INTERVAL_MS = 250;
const YIELD_INTERVAL_MS = 20;

/** The input shape the model is built for: the base's, the CNN's, or the dataset's. */
export function modelInputShape(spec: JobSpec, featureShape: number[], base?: tf.LayersModel): number[] {
  if (base) return base.inputs[0]!.shape.slice(1) as number[];
  if (spec.architecture?.type === 'cnn') return spec.architecture.inputShape;
  return featureShape;
}

function optimizer(spec: JobSpec, learningRate: number): tf.Optimizer {
  const h = spec.hyperparameters;
  return tf.train.adam(learningRate, h.beta1, h.beta2, h.epsilon);
}

function compile(model: tf.LayersModel, opt: tf.Optimizer): void {
  model.compile({ optimizer: opt, loss: 'categoricalCrossentropy', metrics: ['accuracy'] });
}

/** Tracks the monitored metric for early stopping, keeping a copy of the best weights when asked to. */
class EarlyStopping {
  private best = Number.NaN;
  /** Epochs since the monitored metric last improved. */
  wait = 0;
  bestWeights: tf.Tensor[] | null = null;
  bestRow: EpochRow | null = null;

  constructor(private readonly config: NonNullable<JobSpec['hyperparameters']['earlyStopping']>) {}

  /** Records an epoch; true when training should stop. */
  update(row: EpochRow, model: tf.LayersModel): boolean {
    const value = row[this.config.monitor];
    if (value === null) return false;
    const sign = this.config.monitor === 'val_loss' ? 1 : -1;
    if (Number.isNaN(this.best) || sign * (this.best - value) > this.config.minDelta) {
      this.best = value;
      this.wait = 0;
      this.bestRow = row;
      if (this.config.restoreBest) {
        this.bestWeights?.forEach((t) => t.dispose());
        this.bestWeights = model.getWeights().map((w) => w.clone());
      }
      return false;
    }
    this.wait += 1;
    return this.wait >= this.config.patience;
  }

  state(): NonNullable<CheckpointState['earlyStopping']> {
    return { best: Number.isNaN(this.best) ? null : this.best, wait: this.wait, bestRow: this.bestRow };
  }

  /** Takes up a checkpoint's state; the best weights are copied. */
  load(state: NonNullable<CheckpointState['earlyStopping']>, bestWeights: tf.Tensor[] | null): void {
    this.best = state.best ?? Number.NaN;
    this.wait = state.wait;
    this.bestRow = state.bestRow;
    this.bestWeights = bestWeights?.map((w) => w.clone()) ?? null;
  }

  /** Puts the best weights back (when kept); returns their epoch row. */
  restore(model: tf.LayersModel): EpochRow | null {
    if (!this.bestWeights) return null;
    model.setWeights(this.bestWeights);
    return this.bestRow;
  }

  dispose(): void {
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = null;
  }
}

function logValue(logs: tf.Logs | undefined, ...keys: string[]): number | null {
  for (const key of keys) {
    const value = logs?.[key];
    if (typeof value === 'number' && Number.isFinite(value)) return value;
  }
  return null;
}

/** Throws unless `tensors` have the shapes of `expected`, in order. */
function checkShapes(what: string, tensors: tf.Tensor[], expected: number[][]): void {
  const bad =
    tensors.length !== expected.length || tensors.some((t, i) => !tf.util.arraysEqual(t.shape, expected[i]!));
  if (bad) throw new CheckpointMismatch(`the checkpoint's ${what} do not fit the model being trained`);
}

/** Puts a checkpoint's weights into the model; its optimizer and early-stopping state go in per phase. */
function restoreWeights(model: tf.LayersModel, checkpoint: TrainingCheckpoint): void {
  const variables = modelVariables(model);
  checkShapes(
    'weights',
    checkpoint.weights,
    variables.map((v) => v.shape as number[]),
  );
  variables.forEach((v, i) => v.write(checkpoint.weights[i]!));
}

/**
 * Trains a job: a model from scratch or a new head on a cut base model, Adam throughout, an optional fine-tune
 * phase. When the base is fully frozen the head trains on features the base computed once. Tensors it creates
 * are disposed before it returns, except the returned model, which the caller disposes. The base model passed
 * in becomes part of the returned model (or is disposed with it).
 *
 * With `resume`, training goes on from a checkpoint: the same seed and data give the same run as one never
 * interrupted (same shuffles, dropout masks and Adam steps).
 */
export async function train(input: TrainingInput, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const { spec, labels, data, resume, signal } = input;
  const h = spec.hyperparameters;
  const classes = labels.length;
  const seeds = new SeedSequence(spec.seed);
  let rng = createRng(spec.seed);
  const inputShape = modelInputShape(spec, input.featureShape, input.base);
  const featureSize = tf.util.sizeFromShape(inputShape);
  const checkpointEvery = input.checkpointEvery ?? 1;
  const progressInterval = input.progressIntervalMs ?? PROGRESS_INTERVAL_MS;

  let split: { train: Uint32Array; validation: Uint32Array };
  let stats: Standardization | null;
  try {
    split =
      'split' in spec.validation
        ? stratifiedSplit(data.labelIndex, classes, spec.validation.split, rng)
        : { train: Uint32Array.from(data.labelIndex.keys()), validation: new Uint32Array(0) };
    // From scratch: statistics of the training split. Transfer: the base's own input scaling, which its frozen
    // layers were trained on (none for an uploaded base, which takes its inputs as they are). A resumed run
    // keeps the statistics it started with.
    stats = resume
      ? resume.state.standardization
      : input.base
        ? (input.basePreprocessing ?? null)
        : standardization(data.features, featureSize, split.train);
    if (resume) rng = restoreRng(resume.state.rng);
  } catch (error) {
    disposeModels(input.base);
    disposeCheckpoint(resume);
    throw error;
  }
  const validation = input.validationData
    ? { data: input.validationData, rows: Uint32Array.from(input.validationData.labelIndex.keys()) }
    : split.validation.length > 0
      ? { data, rows: split.validation }
      : null;

  let transfer: TransferModel | null = null;
  let model: tf.LayersModel;
  try {
    if (input.base && spec.transfer) {
      const cutLayer = spec.transfer.cutLayer ?? defaultCutLayer(input.base);
      if (!cutLayer) throw new Error('the base model has no Dense layer to cut below; name a cutLayer');
      transfer = buildTransferModel(input.base, { ...spec.transfer, cutLayer }, classes, seeds);
      model = transfer.model;
    } else if (spec.architecture) {
      model = buildFromArchitecture(spec.architecture, inputShape, classes, seeds);
    } else {
      throw new Error('a job needs an architecture or a base model');
    }
  } catch (error) {
    disposeModels(input.base);
    disposeCheckpoint(resume);
    throw error;
  }
  const release = () => disposeModels(model, transfer?.head, input.base);
  const dropoutSteps = seedDropoutPerStep(model, seeds, { value: resume?.state.dropoutSteps ?? 0 });

  // Inside tidy, a failure part-way releases the tensors already made.
  let owned: tf.Tensor[];
  try {
    if (resume) restoreWeights(model, resume);
    owned = tf.tidy(() => [
      featureTensor(data.features, inputShape, split.train, stats),
      labelTensor(data.labelIndex, split.train, classes),
      ...(validation
        ? [
            featureTensor(validation.data.features, inputShape, validation.rows, stats),
            labelTensor(validation.data.labelIndex, validation.rows, classes),
          ]
        : []),
    ]);
  } catch (error) {
    release();
    disposeCheckpoint(resume);
    throw error;
  }
  const [trainX, trainY, valX = null, valY = null] = owned as [tf.Tensor, tf.Tensor, tf.Tensor?, tf.Tensor?];
  const keep = <T extends tf.Tensor>(t: T): T => (owned.push(t), t);

  const featureCaching =
    (input.featureCaching ?? true) &&
    transfer !== null &&
    transfer.baseLayers.every((layer) => !layer.trainable);
  const headEpochs = h.epochs;
  const totalEpochs = headEpochs + (h.fineTune?.epochs ?? 0);
  const trainRows = split.train.length;
  const batchesPerEpoch = Math.ceil(trainRows / h.batchSize);
  const history: EpochRow[] = resume ? [...resume.state.history] : [];
  let lastProgressAt = 0;
  let lastYieldAt = Date.now();
  let restoredRow: EpochRow | null = resume?.state.restoredRow ?? null;

  const runPhase = async (
    phase: Phase,
    fitModel: tf.LayersModel,
    x: tf.Tensor,
    xVal: tf.Tensor | null,
    epochs: number,
    learningRate: number,
  ) => {
    const resuming = resume?.state.phase === phase ? resume : undefined;
    const opt = optimizer(spec, learningRate);
    compile(fitModel, opt);
    const stopper = h.earlyStopping && valX ? new EarlyStopping(h.earlyStopping) : null;
    let epochInPhase = resuming?.state.phaseEpochsDone ?? 0;
    let phaseDone = resuming?.state.phaseDone ?? false;
    let startBatch = resuming?.state.batchesDone ?? 0;
    let partial = resuming ? { ...resuming.state.partial } : { loss: 0, accuracy: 0, samples: 0 };
    /** Where the last checkpoint was taken, so a stop right after one does not write it twice. */
    let checkpointedAt = resuming ? `${epochInPhase}/${startBatch}` : '';

    const checkpoint = async (batchesDone: number, rngState: RngState) => {
      checkpointedAt = `${epochInPhase}/${batchesDone}`;
      if (!hooks.onCheckpoint) return;
      const optimizerWeights = await opt.getWeights();
      try {
        await hooks.onCheckpoint({
          state: {
            phase,
            phaseEpochsDone: epochInPhase,
            phaseDone,
            batchesDone,
            partial: { ...partial },
            rng: rngState,
            dropoutSteps: dropoutSteps.value,
            history: [...history],
            restoredRow,
            standardization: stats,
            earlyStopping: stopper?.state() ?? null,
          },
          weights: modelVariables(model).map((v) => v.read()),
          bestWeights: stopper?.bestWeights ?? null,
          optimizer: optimizerWeights,
        });
      } finally {
        // The iteration count is a new scalar; the moment estimates are the optimizer's own variables.
        optimizerWeights[0]?.tensor.dispose();
      }
    };
    const stopIfAsked = async (batchesDone: number, rngState: RngState) => {
      if (!signal?.aborted) return;
      const reason = String(signal.reason);
      if (reason === 'handoff' && checkpointedAt !== `${epochInPhase}/${batchesDone}`) {
        await checkpoint(batchesDone, rngState);
      }
      throw new TrainingStopped(reason);
    };

    try {
      if (resuming) {
        const trainable = fitModel.trainableWeights.map((w) => w.shape as number[]);
        const moments = resuming.optimizer.slice(1).map((w) => w.tensor);
        // A phase stopped before its first batch has no moment estimates yet.
        if (moments.length > 0) checkShapes('optimizer state', moments, [...trainable, ...trainable]);
        await opt.setWeights(resuming.optimizer);
        if (stopper && resuming.state.earlyStopping) {
          stopper.load(resuming.state.earlyStopping, resuming.bestWeights);
        }
      }
      while (!phaseDone && epochInPhase < epochs) {
        const epoch = history.length + 1;
        const epochRng = rng.state();
        await stopIfAsked(startBatch, epochRng);
        const order = shuffleInPlace(
          Uint32Array.from({ length: x.shape[0] }, (_, i) => i),
          rng,
        );
        // A resumed epoch goes on with the batches it had not done, in the same order.
        const skip = startBatch * h.batchSize;
        const indices = tf.tensor1d(Int32Array.from(order.subarray(skip)), 'int32');
        const xs = tf.gather(x, indices);
        const ys = tf.gather(trainY, indices);
        indices.dispose();
        const started = Date.now();
        const startedSamples = partial.samples;
        let samplesPerSecond: number | null = null;
        let batchesDone = startBatch;
        let logs: tf.Logs | undefined;
        try {
          const result = await fitModel.fit(xs, ys, {
            epochs: 1,
            batchSize: h.batchSize,
            shuffle: false,
            verbose: 0,
            validationData: xVal && valY ? [xVal, valY] : undefined,
            callbacks: {
              onBatchEnd: async (_batch, batchLogs) => {
                const size = Math.min(h.batchSize, trainRows - batchesDone * h.batchSize);
                partial.loss += (logValue(batchLogs, 'loss') ?? Number.NaN) * size;
                partial.accuracy += (logValue(batchLogs, 'acc', 'accuracy') ?? 0) * size;
                partial.samples += size;
                batchesDone += 1;
                const now = Date.now();
                samplesPerSecond = ((partial.samples - startedSamples) / Math.max(now - started, 1)) * 1000;
                if (now - lastProgressAt >= progressInterval && hooks.onProgress) {
                  lastProgressAt = now;
                  await hooks.onProgress(progressOf(phase, epoch, batchesDone, samplesPerSecond));
                }
                if (signal?.aborted) fitModel.stopTraining = true;
                // Let timers and messages in (stop requests, heartbeats) between batches.
                if (now - lastYieldAt >= YIELD_INTERVAL_MS) {
                  lastYieldAt = now;
                  await nextMacrotask();
                }
              },
            },
          });
          logs = Object.fromEntries(Object.entries(result.history).map(([k, v]) => [k, v.at(-1) as number]));
        } finally {
          xs.dispose();
          ys.dispose();
        }
        if (batchesDone < batchesPerEpoch) {
          // Stopped part-way through the epoch.
          await stopIfAsked(batchesDone, epochRng);
        }
        const row: EpochRow = {
          epoch,
          phase,
          loss: partial.loss / partial.samples,
          accuracy: partial.accuracy / partial.samples,
          val_loss: logValue(logs, 'val_loss'),
          val_accuracy: logValue(logs, 'val_acc', 'val_accuracy'),
        };
        if (!Number.isFinite(row.loss)) {
          throw new TrainingDiverged(
            `the loss became ${row.loss} in epoch ${epoch}; try a lower learning rate`,
          );
        }
        history.push(row);
        epochInPhase += 1;
        startBatch = 0;
        partial = { loss: 0, accuracy: 0, samples: 0 };
        await hooks.onEpoch?.(row);
        lastProgressAt = Date.now();
        await hooks.onProgress?.(progressOf(phase, epoch, batchesPerEpoch, samplesPerSecond));
        const stop = stopper?.update(row, fitModel) ?? false;
        phaseDone = stop || epochInPhase === epochs;
        if (checkpointEvery > 0 && history.length % checkpointEvery === 0 && history.length < totalEpochs) {
          await checkpoint(0, rng.state());
        }
        if (stop) {
          await hooks.onLog?.(
            `early stopping in the ${phase} phase after epoch ${epoch}: ${h.earlyStopping!.monitor} did not improve for ${stopper!.wait} epoch${stopper!.wait === 1 ? '' : 's'}`,
          );
        }
      }
      // The phase's result is its best epoch when early stopping restored one, else its last.
      const best = stopper?.restore(fitModel) ?? null;
      if (best) {
        restoredRow = best;
        await hooks.onLog?.(`restored the weights of epoch ${best.epoch} (best ${h.earlyStopping!.monitor})`);
      }
    } finally {
      stopper?.dispose();
      opt.dispose();
    }
  };

  const progressOf = (
    phase: Phase,
    epoch: number,
    batch: number,
    samplesPerSecond: number | null,
  ): Progress => {
    const last = history.at(-1);
    const done = (epoch - 1) * batchesPerEpoch + batch;
    const remainingSamples = Math.max(totalEpochs * batchesPerEpoch - done, 0) * h.batchSize;
    return {
      phase,
      epoch,
      epochs: totalEpochs,
      batch,
      batches: batchesPerEpoch,
      fraction: Math.min(done / (totalEpochs * batchesPerEpoch), 1),
      samplesPerSecond,
      etaSeconds: samplesPerSecond ? Math.round((remainingSamples / samplesPerSecond) * 10) / 10 : null,
      metrics: last
        ? {
            loss: last.loss,
            accuracy: last.accuracy,
            val_loss: last.val_loss,
            val_accuracy: last.val_accuracy,
          }
        : {},
      history: [...history],
    };
  };

  try {
    if (resume) {
      await hooks.onLog?.(
        `resumed from the checkpoint after epoch ${resume.state.history.length}` +
          (resume.state.batchesDone > 0
            ? `, batch ${resume.state.batchesDone} of epoch ${resume.state.history.length + 1}`
            : '') +
          ` (${resume.state.phase} phase)`,
      );
    }
    if (resume?.state.phase !== 'fine-tune') {
      if (featureCaching && transfer) {
        // The frozen base runs once over the data; the head then trains on its output.
        const chunk = input.predictChunkRows;
        const cached = keep(await predictTensor(transfer.extractor, trainX, chunk));
        const cachedVal = valX ? keep(await predictTensor(transfer.extractor, valX, chunk)) : null;
        await runPhase('head', transfer.head, cached, cachedVal, headEpochs, h.learningRate);
      } else {
        await runPhase('head', model, trainX, valX, headEpochs, h.learningRate);
      }
    }
    if (h.fineTune && transfer) {
      const unfreeze = h.fineTune.unfreeze ?? transfer.baseLayers.length;
      transfer.baseLayers.forEach(
        (layer, i) => (layer.trainable = i >= transfer.baseLayers.length - unfreeze),
      );
      if (resume?.state.phase !== 'fine-tune' || resume.state.phaseEpochsDone === 0) {
        await hooks.onLog?.(
          `fine-tuning the top ${Math.min(unfreeze, transfer.baseLayers.length)} base layers at learning rate ${h.fineTune.learningRate}`,
        );
      }
      await runPhase('fine-tune', model, trainX, valX, h.fineTune.epochs, h.fineTune.learningRate);
    }
    const final: EpochRow | undefined = restoredRow ?? history.at(-1);
    const evaluation = await evaluate(
      model,
      valX ?? trainX,
      valY ?? trainY,
      labels,
      valX ? 'validation' : 'train',
      input.predictChunkRows,
    );
    return {
      model,
      inputShape,
      preprocessing: stats ? { standardize: stats } : null,
      history,
      metrics: {
        loss: final?.loss ?? null,
        accuracy: final?.accuracy ?? null,
        val_loss: final?.val_loss ?? null,
        val_accuracy: final?.val_accuracy ?? null,
      },
      evaluation,
      featureCaching,
      dispose: release,
    };
  } catch (error) {
    release();
    throw error;
  } finally {
    owned.forEach((t) => t.dispose());
    disposeCheckpoint(resume);
  }
}
