import * as tf from '@tensorflow/tfjs';
import { nextMacrotask } from '../event-loop.js';
import type { DatasetData } from '../datasets/dataset-store.js';
import type { JobSpec } from '../jobs/job-spec.js';
import type { ModelRecord } from '../models/model-store.js';
import {
  createRng,
  featureTensor,
  labelTensor,
  shuffleInPlace,
  standardization,
  stratifiedSplit,
  type Standardization,
} from './data.js';
import { evaluate, predictTensor, type Evaluation } from './evaluate.js';
import {
  buildFromArchitecture,
  buildTransferModel,
  defaultCutLayer,
  disposeModels,
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
}

export interface TrainingHooks {
  /** Called at most a few times a second within epochs, and after every epoch. */
  onProgress?: (progress: Progress) => Promise<void>;
  /** Called after every epoch with its row. */
  onEpoch?: (row: EpochRow) => Promise<void>;
  onLog?: (message: string) => Promise<void>;
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
  private bestWeights: tf.Tensor[] | null = null;
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

/**
 * Trains a job: a model from scratch or a new head on a cut base model, Adam throughout, an optional fine-tune
 * phase. When the base is fully frozen the head trains on features the base computed once. Tensors it creates
 * are disposed before it returns, except the returned model, which the caller disposes. The base model passed
 * in becomes part of the returned model (or is disposed with it).
 */
export async function train(input: TrainingInput, hooks: TrainingHooks = {}): Promise<TrainingResult> {
  const { spec, labels, data } = input;
  const h = spec.hyperparameters;
  const classes = labels.length;
  const seeds = new SeedSequence(spec.seed);
  const rng = createRng(spec.seed);
  const inputShape = modelInputShape(spec, input.featureShape, input.base);
  const featureSize = tf.util.sizeFromShape(inputShape);

  const split =
    'split' in spec.validation
      ? stratifiedSplit(data.labelIndex, classes, spec.validation.split, rng)
      : { train: Uint32Array.from(data.labelIndex.keys()), validation: new Uint32Array(0) };
  // From scratch: statistics of the training split. Transfer: the base's own input scaling, which its frozen
  // layers were trained on (none for an uploaded base, which takes its inputs as they are).
  const stats: Standardization | null = input.base
    ? (input.basePreprocessing ?? null)
    : standardization(data.features, featureSize, split.train);
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
    throw error;
  }
  const release = () => disposeModels(model, transfer?.head, input.base);
  seedDropoutPerStep(model, seeds);

  // Inside tidy, a failure part-way releases the tensors already made.
  let owned: tf.Tensor[];
  try {
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
  const batchesPerEpoch = Math.ceil(split.train.length / h.batchSize);
  const history: EpochRow[] = [];
  let lastProgressAt = 0;
  let lastYieldAt = Date.now();
  let bestRow: EpochRow | null = null;

  const runPhase = async (
    phase: Phase,
    fitModel: tf.LayersModel,
    x: tf.Tensor,
    xVal: tf.Tensor | null,
    epochs: number,
    learningRate: number,
  ) => {
    const opt = optimizer(spec, learningRate);
    compile(fitModel, opt);
    const stopper = h.earlyStopping && valX ? new EarlyStopping(h.earlyStopping) : null;
    try {
      for (let e = 0; e < epochs; e++) {
        const epoch = history.length + 1;
        const order = shuffleInPlace(
          Uint32Array.from({ length: x.shape[0] }, (_, i) => i),
          rng,
        );
        const indices = tf.tensor1d(Int32Array.from(order), 'int32');
        const xs = tf.gather(x, indices);
        const ys = tf.gather(trainY, indices);
        indices.dispose();
        const started = Date.now();
        let samplesPerSecond: number | null = null;
        let logs: tf.Logs | undefined;
        try {
          const result = await fitModel.fit(xs, ys, {
            epochs: 1,
            batchSize: h.batchSize,
            shuffle: false,
            verbose: 0,
            validationData: xVal && valY ? [xVal, valY] : undefined,
            callbacks: {
              onBatchEnd: async (batch) => {
                const now = Date.now();
                samplesPerSecond = (((batch + 1) * h.batchSize) / Math.max(now - started, 1)) * 1000;
                if (now - lastProgressAt >= PROGRESS_INTERVAL_MS && hooks.onProgress) {
                  lastProgressAt = now;
                  await hooks.onProgress(progressOf(phase, epoch, batch + 1, samplesPerSecond));
                }
                // Let timers run (BullMQ lock renewal, heartbeats) between batches.
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
        const row: EpochRow = {
          epoch,
          phase,
          loss: logValue(logs, 'loss') ?? Number.NaN,
          accuracy: logValue(logs, 'acc', 'accuracy') ?? Number.NaN,
          val_loss: logValue(logs, 'val_loss'),
          val_accuracy: logValue(logs, 'val_acc', 'val_accuracy'),
        };
        if (!Number.isFinite(row.loss)) {
          throw new TrainingDiverged(
            `the loss became ${row.loss} in epoch ${epoch}; try a lower learning rate`,
          );
        }
        history.push(row);
        await hooks.onEpoch?.(row);
        lastProgressAt = Date.now();
        await hooks.onProgress?.(progressOf(phase, epoch, batchesPerEpoch, samplesPerSecond));
        if (stopper?.update(row, fitModel)) {
          await hooks.onLog?.(
            `early stopping in the ${phase} phase after epoch ${epoch}: ${h.earlyStopping!.monitor} did not improve for ${stopper.wait} epoch${stopper.wait === 1 ? '' : 's'}`,
          );
          break;
        }
      }
      // The phase's result is its best epoch when early stopping restored one, else its last.
      bestRow = stopper?.restore(fitModel) ?? null;
      if (bestRow) {
        await hooks.onLog?.(
          `restored the weights of epoch ${bestRow.epoch} (best ${h.earlyStopping!.monitor})`,
        );
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
    return {
      phase,
      epoch,
      epochs: totalEpochs,
      batch,
      batches: batchesPerEpoch,
      fraction: Math.min(((epoch - 1) * batchesPerEpoch + batch) / (totalEpochs * batchesPerEpoch), 1),
      samplesPerSecond,
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
    if (featureCaching && transfer) {
      // The frozen base runs once over the data; the head then trains on its output.
      const cached = keep(await predictTensor(transfer.extractor, trainX));
      const cachedVal = valX ? keep(await predictTensor(transfer.extractor, valX)) : null;
      await runPhase('head', transfer.head, cached, cachedVal, headEpochs, h.learningRate);
    } else {
      await runPhase('head', model, trainX, valX, headEpochs, h.learningRate);
    }
    if (h.fineTune && transfer) {
      const unfreeze = h.fineTune.unfreeze ?? transfer.baseLayers.length;
      transfer.baseLayers.forEach(
        (layer, i) => (layer.trainable = i >= transfer.baseLayers.length - unfreeze),
      );
      await hooks.onLog?.(
        `fine-tuning the top ${Math.min(unfreeze, transfer.baseLayers.length)} base layers at learning rate ${h.fineTune.learningRate}`,
      );
      await runPhase('fine-tune', model, trainX, valX, h.fineTune.epochs, h.fineTune.learningRate);
    }
    const final: EpochRow | undefined = (bestRow as EpochRow | null) ?? history.at(-1);
    const evaluation = await evaluate(
      model,
      valX ?? trainX,
      valY ?? trainY,
      labels,
      valX ? 'validation' : 'train',
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
  }
}
