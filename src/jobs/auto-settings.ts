import type { JobSpec } from './job-spec.js';

/** About this many optimizer steps in all: enough for the small and medium jobs the service runs to converge. */
const TARGET_STEPS = 2000;
const MIN_EPOCHS = 10;
const MAX_EPOCHS = 100;
/** Adam's rate for a head or a network trained from scratch, and for a base whose layers train too. */
const LEARNING_RATE = 3e-3;
const LEARNING_RATE_TRAINED_BASE = 1e-3;
/** Early stopping switched on for automatic epochs: patient, since the epoch count is only an upper bound. */
const AUTO_EARLY_STOPPING = { monitor: 'val_loss', patience: 10, minDelta: 0, restoreBest: true } as const;

/** What the settings are chosen from. */
export interface AutoSettingsInput {
  trainRows: number;
  hasValidation: boolean;
  /** Whether a batch of this many rows fits the job budget. */
  fits: (batchSize: number) => boolean;
}

/** 16 rows per step for a few hundred rows, up to 128 for fifty thousand and more; never over a quarter of them. */
function batchSizeFor(trainRows: number, fits: (batchSize: number) => boolean): number {
  const bySize = trainRows < 500 ? 16 : trainRows < 5_000 ? 32 : trainRows < 50_000 ? 64 : 128;
  let batch = Math.max(1, Math.min(bySize, Math.floor(trainRows / 4)));
  while (batch > 1 && !fits(batch)) batch = Math.floor(batch / 2);
  return batch;
}

/** Epochs that make about {@link TARGET_STEPS} steps, from 10 to 100. */
function epochsFor(trainRows: number, batchSize: number): number {
  const stepsPerEpoch = Math.max(1, Math.ceil(trainRows / batchSize));
  return Math.min(MAX_EPOCHS, Math.max(MIN_EPOCHS, Math.round(TARGET_STEPS / stepsPerEpoch)));
}

/**
 * The spec with its "auto" settings chosen from the data: batch size from the training rows (halved until it
 * fits the budget), epochs from the steps that makes, the learning rate from what trains. Automatic epochs come
 * with early stopping on the validation loss, best weights restored, unless the request set early stopping
 * itself or the job has no validation rows. `hyperparameters.auto` lists what was chosen.
 */
export function settleAutoSettings(spec: JobSpec, input: AutoSettingsInput): JobSpec {
  const h = spec.hyperparameters;
  const auto = new Set(h.auto ?? []);
  if (auto.size === 0) return spec;
  const batchSize = auto.has('batchSize') ? batchSizeFor(input.trainRows, input.fits) : h.batchSize;
  const trainedBase = spec.transfer !== null && spec.transfer.freeze !== 'all';
  const learningRate = auto.has('learningRate')
    ? trainedBase
      ? LEARNING_RATE_TRAINED_BASE
      : LEARNING_RATE
    : h.learningRate;
  const epochs = auto.has('epochs') ? epochsFor(input.trainRows, batchSize) : h.epochs;
  const stopEarly = auto.has('epochs') && h.earlyStopping === null && input.hasValidation;
  if (stopEarly) auto.add('earlyStopping');
  return {
    ...spec,
    hyperparameters: {
      ...h,
      auto: [...auto],
      epochs,
      batchSize,
      learningRate,
      earlyStopping: stopEarly ? { ...AUTO_EARLY_STOPPING } : h.earlyStopping,
    },
  };
}
