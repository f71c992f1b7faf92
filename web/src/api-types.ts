/**
 * What the API sends, as the TypeBox schemas its routes validate with define it: types only, so nothing of the
 * server is bundled.
 */
import type { Static } from 'typebox';
import type { ProblemSchema } from '../../src/routes/schemas.js';

export type { JobView } from '../../src/jobs/job-view.js';
export type { JobRequest } from '../../src/jobs/job-spec.js';
export type { JobEvent, JobStatus } from '../../src/jobs/job-events.js';
export type { CheckpointInfo } from '../../src/jobs/checkpoint-store.js';
export type { EpochRow } from '../../src/training/progress.js';
export type { Evaluation } from '../../src/training/evaluate.js';
export type { RegressionEvaluation } from '../../src/training/regression-evaluation.js';
export type { ModelRecord } from '../../src/models/model-store.js';
export type { Alias } from '../../src/models/alias-store.js';
export type { Dataset } from '../../src/datasets/dataset-store.js';
export type { WorkerInfo } from '../../src/queue/worker-registry.js';
export type { SweepView, TrialView } from '../../src/sweeps/sweep-view.js';
export type { SweepStatus } from '../../src/sweeps/sweep-log.js';

/** RFC 9457 problem details, as every error response carries them. */
export type ProblemBody = Static<typeof ProblemSchema> & { scope?: string; field?: string };

/** A list route's answer. */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A classification's prediction: the top label and score, and the top-k. */
export interface LabelPrediction {
  label: string;
  score: number;
  top: Array<{ label: string; score: number }>;
}

/** POST /v1/models/:id/predict's answer: labels and scores, or a regression's numbers. */
export interface Predictions {
  modelId: string;
  predictions: Array<LabelPrediction | { value: number }>;
}

/** GET /v1/datasets/:id/samples's answer. */
export interface DatasetSamples {
  datasetId: string;
  featureShape: number[];
  samples: Array<{ label: string; index: number; png: string }>;
}
