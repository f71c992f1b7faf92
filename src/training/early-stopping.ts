import type * as tf from '@tensorflow/tfjs';
import type { JobSpec } from '../jobs/job-spec.js';
import type { EpochRow, Phase } from './progress.js';

export type EarlyStoppingConfig = NonNullable<JobSpec['hyperparameters']['earlyStopping']>;

/** Early stopping's state in plain values, as a checkpoint stores it; the best weights travel as tensors. */
export interface EarlyStoppingState {
  best: number | null;
  wait: number;
  bestRow: EpochRow | null;
}

/** Tracks the monitored metric for early stopping, keeping a copy of the best weights when asked to. */
export class EarlyStopping {
  private best = Number.NaN;
  /** Epochs since the monitored metric last improved. */
  wait = 0;
  bestWeights: tf.Tensor[] | null = null;
  bestRow: EpochRow | null = null;

  constructor(private readonly config: EarlyStoppingConfig) {}

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

  /** What a checkpoint saves, to {@link load} on resume. */
  state(): EarlyStoppingState {
    return { best: Number.isNaN(this.best) ? null : this.best, wait: this.wait, bestRow: this.bestRow };
  }

  /** Takes up a checkpoint's state; the best weights are copied. */
  load(state: EarlyStoppingState, bestWeights: tf.Tensor[] | null): void {
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

  /** Why training stopped, for the job's log. */
  stopMessage(phase: Phase, epoch: number): string {
    const epochs = `${this.wait} epoch${this.wait === 1 ? '' : 's'}`;
    return `early stopping in the ${phase} phase after epoch ${epoch}: ${this.config.monitor} did not improve for ${epochs}`;
  }

  /** What restoring the best weights of `row` did, for the job's log. */
  restoredMessage(row: EpochRow): string {
    return `restored the weights of epoch ${row.epoch} (best ${this.config.monitor})`;
  }

  dispose(): void {
    this.bestWeights?.forEach((t) => t.dispose());
    this.bestWeights = null;
  }
}

/**
 * Early stopping for a phase, or null when the job asks for none or there is no validation data to watch; a
 * resumed phase takes up the state its checkpoint saved.
 */
export function earlyStoppingFor(
  config: EarlyStoppingConfig | null,
  hasValidation: boolean,
  resumed?: { state: EarlyStoppingState | null; bestWeights: tf.Tensor[] | null },
): EarlyStopping | null {
  if (!config || !hasValidation) return null;
  const stopper = new EarlyStopping(config);
  if (resumed?.state) stopper.load(resumed.state, resumed.bestWeights);
  return stopper;
}
