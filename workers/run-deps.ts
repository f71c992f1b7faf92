import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import { DatasetStore } from '../src/datasets/dataset-store.js';
import type { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { jobBudget, type JobBudget } from '../src/jobs/job-cost.js';
import { ModelStore } from '../src/models/model-store.js';
import type { BlobStore } from '../src/store/blob-store.js';
import type { BackendInfo } from '../src/tf/backend.js';

/** What a training run reads, writes and is paced by, wherever it runs: in the worker or in a process of its own. */
export interface RunDeps {
  datasets: DatasetStore;
  models: ModelStore;
  checkpoints: CheckpointStore;
  backend: BackendInfo;
  logger: Logger;
  checkpointEvery: number;
  checkpointMinIntervalMs: number;
  /** The least time between two progress reports of a run. */
  progressIntervalMs: number;
  /** What one job may cost: prediction chunks are sized to fit it. */
  budget: JobBudget;
}

/** A run reports progress every 250 ms, or as often as progress events are written where that is more often. */
const PROGRESS_REPORT_INTERVAL_MS = 250;

/** A run's dependencies as the config gives them. */
export function runDeps(
  config: Config,
  parts: { store: BlobStore; checkpoints: CheckpointStore; backend: BackendInfo; logger: Logger },
): RunDeps {
  return {
    datasets: new DatasetStore(parts.store),
    models: new ModelStore(parts.store),
    checkpoints: parts.checkpoints,
    backend: parts.backend,
    logger: parts.logger,
    checkpointEvery: config.CHECKPOINT_EVERY_EPOCHS,
    checkpointMinIntervalMs: config.CHECKPOINT_MIN_INTERVAL_MS,
    progressIntervalMs: Math.min(PROGRESS_REPORT_INTERVAL_MS, config.PROGRESS_EVENT_INTERVAL_MS),
    budget: jobBudget(config),
  };
}
