import * as tf from '@tensorflow/tfjs';
import { nextMacrotask } from '../event-loop.js';
import type { PixelScaling } from '../models/preprocessing.js';
import type { JobSpec } from '../jobs/job-spec.js';
import { adam } from './adam.js';
import { rowWeightsOf } from './class-weights.js';
import { restoreOptimizer, type CheckpointState, type TrainingCheckpoint } from './checkpoint.js';
import { shuffleInPlace, type Rng, type RngState, type Standardization } from './data.js';
import { withDisposal } from './disposal.js';
import { earlyStoppingFor, type EarlyStopping } from './early-stopping.js';
import { trainEpoch } from './epoch-steps.js';
import type { DropoutSteps } from './model.js';
import { writePhaseCheckpoint } from './phase-checkpoint.js';
import { progressOf, type EpochRow, type Phase, type Progress, type ProgressPlan } from './progress.js';
import type { BatchSums, RowContext, TrainingTask } from './tasks.js';
import {
  CHECKPOINTED_STOPS,
  finishing,
  stopping,
  TrainingDiverged,
  TrainingStopped,
} from './training-stops.js';

export { CHECKPOINTED_STOPS, TrainingDiverged, TrainingStopped };

export interface TrainingHooks {
  /** Called at most a few times a second within epochs, and after every epoch. */
  onProgress?: (progress: Progress) => Promise<void>;
  /** Called after every epoch with its row. */
  onEpoch?: (row: EpochRow) => Promise<void>;
  /** A line for the job's events; `warn` for what the job should be told about its data (default `info`). */
  onLog?: (message: string, level?: 'info' | 'warn') => Promise<void>;
  /** Called with a checkpoint to store; training waits for it. */
  onCheckpoint?: (checkpoint: TrainingCheckpoint) => Promise<void>;
}

const YIELD_INTERVAL_MS = 20;

/** The size of the whole run and how often it reports and checkpoints. */
export interface RunPlan extends ProgressPlan {
  trainRows: number;
  /** A checkpoint after every this many epochs (0: never), when the last is at least this old. */
  checkpointEvery: number;
  checkpointMinIntervalMs: number;
  /** The least time between progress reports within an epoch. */
  progressIntervalMs: number;
}

/** What the phases of one run share: what they train towards, report to and save in checkpoints. */
export interface TrainingRun {
  hyperparameters: JobSpec['hyperparameters'];
  plan: RunPlan;
  hooks: TrainingHooks;
  signal: AbortSignal | undefined;
  /** The whole model, whose weights a checkpoint saves whichever model a phase fits. */
  model: tf.LayersModel;
  trainY: tf.Tensor;
  valY: tf.Tensor | null;
  /** Shuffles every epoch; its state goes into checkpoints. */
  rng: Rng;
  dropoutSteps: DropoutSteps;
  standardization: Standardization | null;
  /** The scaling of every input value before the standardization, checkpointed with it. */
  pixels: PixelScaling | null;
  /** Loss weights by class index (see class-weights.ts); null: every row counts the same. */
  classWeight: Record<number, number> | null;
  /** What is learnt (see tasks.ts): the loss and metrics compiled, and how an epoch's row is made. */
  task: { kind: TrainingTask; compile: ReturnType<TrainingTask['compile']>; context: RowContext };
  /** The checkpoint the run goes on from, if any. */
  resume: TrainingCheckpoint | undefined;
  history: EpochRow[];
  /** The best epoch early stopping restored, whose metrics become the run's. */
  restoredRow: EpochRow | null;
  /** When progress was last reported and the event loop last let in, across phases. */
  pace: { lastProgressAt: number; lastYieldAt: number; lastCheckpointAt: number };
  /** Set once a finishing stop (training-stops.ts) has ended the run's epochs. */
  finishedEarly?: boolean;
}

/** One phase: the model it fits, on which inputs, for how many epochs, at which learning rate. */
export interface PhasePlan {
  phase: Phase;
  fitModel: tf.LayersModel;
  x: tf.Tensor;
  xVal: tf.Tensor | null;
  epochs: number;
  learningRate: number;
  /** An epoch's inputs from `x` in its order, from place `skip`: augmented images, or features of them. */
  prepareEpoch?: (xs: tf.Tensor, at: { epoch: number; skip: number }) => Promise<tf.Tensor>;
}

/** How an epoch's batches went: counted as they end, so a stop part-way knows where it stopped. */
interface EpochTally {
  batchesDone: number;
  started: number;
  startedSamples: number;
  samplesPerSecond: number | null;
}

/**
 * Trains one phase to its last epoch or until early stopping ends it, going on from the run's checkpoint when
 * that was taken in this phase. With early stopping that kept the best weights, the phase ends with them.
 */
export async function runPhase(run: TrainingRun, plan: PhasePlan): Promise<void> {
  const resumed = run.resume?.state.phase === plan.phase ? run.resume : undefined;
  const h = run.hyperparameters;
  await withDisposal(async (scope) => {
    const opt = scope.keep(adam(plan.learningRate, h.beta1, h.beta2, h.epsilon));
    plan.fitModel.compile({ optimizer: opt, ...run.task.compile });
    if (resumed) await restoreOptimizer(opt, plan.fitModel, resumed);
    const saved = resumed && { state: resumed.state.earlyStopping, bestWeights: resumed.bestWeights };
    const stopper = scope.keep(earlyStoppingFor(h.earlyStopping, run.valY !== null, saved));
    await new PhaseLoop(run, plan, opt, stopper, resumed?.state).runEpochs();
    const best = stopper?.restore(plan.fitModel) ?? null;
    if (best) {
      run.restoredRow = best;
      await run.hooks.onLog?.(stopper!.restoredMessage(best));
    }
  });
}

/** The epochs of one phase, and where they stand, as a checkpoint saves it. */
class PhaseLoop {
  private epochInPhase: number;
  private phaseDone: boolean;
  /** The batch the epoch under way starts from: 0 but in an epoch resumed part-way. */
  private startBatch: number;
  private partial: BatchSums;
  /** Where the last checkpoint was taken, so a stop right after one does not write it twice. */
  private checkpointedAt: string;

  constructor(
    private readonly run: TrainingRun,
    private readonly plan: PhasePlan,
    private readonly opt: tf.Optimizer,
    private readonly stopper: EarlyStopping | null,
    resumed: CheckpointState | undefined,
  ) {
    this.epochInPhase = resumed?.phaseEpochsDone ?? 0;
    this.phaseDone = resumed?.phaseDone ?? false;
    this.startBatch = resumed?.batchesDone ?? 0;
    this.partial = resumed ? { ...resumed.partial } : { loss: 0, accuracy: 0, samples: 0 };
    this.checkpointedAt = resumed ? `${this.epochInPhase}/${this.startBatch}` : '';
  }

  async runEpochs(): Promise<void> {
    while (!this.phaseDone && this.epochInPhase < this.plan.epochs) {
      if (finishing(this.run.signal)) {
        if (!this.run.finishedEarly)
          await this.run.hooks.onLog?.(`its sweep stopped the trial after epoch ${this.run.history.length}`);
        this.run.finishedEarly = true;
        return;
      }
      const epoch = this.run.history.length + 1;
      const epochRng = this.run.rng.state();
      await this.stopIfAsked(this.startBatch, epochRng);
      const { tally, logs } = await this.fitEpoch(epoch);
      if (tally.batchesDone < this.run.plan.batchesPerEpoch) {
        // Stopped part-way through the epoch.
        await this.stopIfAsked(tally.batchesDone, epochRng);
      }
      await this.endEpoch(this.epochRow(epoch, logs), tally.samplesPerSecond);
    }
  }

  /** Fits one epoch (what is left of it, when resumed part-way) over a fresh shuffle; returns its validation logs. */
  private async fitEpoch(epoch: number): Promise<{ tally: EpochTally; logs: tf.Logs }> {
    const { x, xVal, fitModel, prepareEpoch } = this.plan;
    const { batchSize } = this.run.plan;
    const order = shuffleInPlace(
      Uint32Array.from({ length: x.shape[0] }, (_, i) => i),
      this.run.rng,
    );
    // A resumed epoch goes on with the batches it had not done, in the same order.
    const skip = this.startBatch * batchSize;
    return withDisposal(async (scope) => {
      const indices = tf.tensor1d(Int32Array.from(order.subarray(skip)), 'int32');
      const ys = scope.keep(tf.gather(this.run.trainY, indices));
      const gathered = tf.gather(x, indices);
      indices.dispose();
      const prepared = prepareEpoch?.(gathered, { epoch, skip }).finally(() => gathered.dispose());
      const xs = scope.keep(prepared ? await prepared : gathered);
      const tally: EpochTally = {
        batchesDone: this.startBatch,
        started: Date.now(),
        startedSamples: this.partial.samples,
        samplesPerSecond: null,
      };
      const { classWeight, valY } = this.run;
      const rowWeights = classWeight ? scope.keep(rowWeightsOf(classWeight, ys)) : null;
      const validation = xVal && valY ? { x: xVal, y: valY } : null;
      const logs = await trainEpoch(fitModel, { xs, ys, rowWeights, batchSize, validation }, (batch) =>
        this.onBatchEnd(epoch, tally, batch),
      );
      return { tally, logs };
    });
  }

  /**
   * Adds a batch to the epoch's sums; reports progress and yields, each when due. Returns true when a stop
   * should end the epoch at this batch: a finishing stop lets it end, any other stops it here.
   */
  private async onBatchEnd(epoch: number, tally: EpochTally, logs: tf.Logs): Promise<boolean> {
    const { batchSize, trainRows, progressIntervalMs } = this.run.plan;
    const { hooks, pace, signal } = this.run;
    const size = Math.min(batchSize, trainRows - tally.batchesDone * batchSize);
    this.run.task.kind.addBatch(this.partial, logs, size);
    tally.batchesDone += 1;
    const now = Date.now();
    tally.samplesPerSecond =
      ((this.partial.samples - tally.startedSamples) / Math.max(now - tally.started, 1)) * 1000;
    if (now - pace.lastProgressAt >= progressIntervalMs && hooks.onProgress) {
      pace.lastProgressAt = now;
      await hooks.onProgress(this.progress(epoch, tally.batchesDone, tally.samplesPerSecond));
    }
    // Let timers and messages in (stop requests, heartbeats) between batches.
    if (now - pace.lastYieldAt >= YIELD_INTERVAL_MS) {
      pace.lastYieldAt = now;
      await nextMacrotask();
    }
    return stopping(signal);
  }

  /** The finished epoch's row; a loss that is no longer finite ends training. */
  private epochRow(epoch: number, logs: tf.Logs): EpochRow {
    const { kind, context } = this.run.task;
    const row: EpochRow = {
      epoch,
      phase: this.plan.phase,
      ...kind.epochMetrics(this.partial, logs, context),
    };
    if (!Number.isFinite(row.loss)) {
      throw new TrainingDiverged(`the loss became ${row.loss} in epoch ${epoch}; try a lower learning rate`);
    }
    return row;
  }

  /** Records the epoch, reports it, asks early stopping, and checkpoints when one is due. */
  private async endEpoch(row: EpochRow, samplesPerSecond: number | null): Promise<void> {
    const { hooks, history, plan, pace } = this.run;
    history.push(row);
    this.epochInPhase += 1;
    this.startBatch = 0;
    this.partial = { loss: 0, accuracy: 0, samples: 0 };
    await hooks.onEpoch?.(row);
    pace.lastProgressAt = Date.now();
    await hooks.onProgress?.(this.progress(row.epoch, plan.batchesPerEpoch, samplesPerSecond));
    const stop = this.stopper?.update(row, this.plan.fitModel) ?? false;
    this.phaseDone = stop || this.epochInPhase === this.plan.epochs;
    const due =
      plan.checkpointEvery > 0 &&
      history.length % plan.checkpointEvery === 0 &&
      Date.now() - pace.lastCheckpointAt >= plan.checkpointMinIntervalMs;
    if (due && history.length < plan.totalEpochs) await this.checkpoint(0, this.run.rng.state());
    if (stop) await hooks.onLog?.(this.stopper!.stopMessage(this.plan.phase, row.epoch));
  }

  private progress(epoch: number, batch: number, samplesPerSecond: number | null): Progress {
    return progressOf(this.run.plan, this.run.history, {
      phase: this.plan.phase,
      epoch,
      batch,
      samplesPerSecond,
    });
  }

  /** Throws {@link TrainingStopped} if the signal was aborted, checkpointing first on a hand-off or pause. */
  private async stopIfAsked(batchesDone: number, rngState: RngState): Promise<void> {
    const { signal } = this.run;
    if (!signal || !stopping(signal)) return;
    const reason = String(signal.reason);
    if (CHECKPOINTED_STOPS.has(reason) && this.checkpointedAt !== `${this.epochInPhase}/${batchesDone}`) {
      await this.checkpoint(batchesDone, rngState);
    }
    throw new TrainingStopped(reason);
  }

  /** Hands the checkpoint hook where training stands after `batchesDone` batches of the epoch under way. */
  private async checkpoint(batchesDone: number, rng: RngState): Promise<void> {
    this.checkpointedAt = `${this.epochInPhase}/${batchesDone}`;
    await writePhaseCheckpoint(this.run, this.plan, this.opt, this.stopper, {
      phaseEpochsDone: this.epochInPhase,
      phaseDone: this.phaseDone,
      batchesDone,
      partial: this.partial,
      rng,
    });
  }
}
