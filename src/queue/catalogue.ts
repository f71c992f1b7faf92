import type { DefaultJobOptions } from 'bullmq';
import type { JobSpec } from '../jobs/job-spec.js';
import type { BackendInfo } from '../tf/backend.js';
import type { EpochRow, Progress } from '../training/train.js';

/** The one catalogue of queues: names, payloads, default options. The API and workers/ both import it. */
export const QUEUES = {
  training: 'training',
} as const;

/** Payload of a training job; the BullMQ job id is the public job id. */
export interface TrainingPayload {
  tenant: string;
  spec: JobSpec;
  createdAt: string;
}

/** What a training job reports through `job.updateProgress`: everything GET /v1/jobs/:id shows while it runs. */
export interface TrainingProgress {
  progress: Omit<Progress, 'metrics' | 'history'> | null;
  metrics: Progress['metrics'];
  history: EpochRow[];
  backend: Pick<BackendInfo, 'name' | 'device'> | null;
  startedAt: string | null;
  /** Set when the job fails with a known cause, so the API can show a stable code. */
  error?: { code: string; message: string };
}

/** The return value of a training job. */
export interface TrainingResultValue {
  modelId: string;
  metrics: Record<string, number | null>;
  history: EpochRow[];
  backend: Pick<BackendInfo, 'name' | 'device'>;
  startedAt: string;
  featureCaching: boolean;
}

/** Default options of training jobs: transient faults retry with exponential backoff; finished jobs are kept. */
export function trainingJobOptions(attempts: number): DefaultJobOptions {
  return {
    attempts,
    backoff: { type: 'exponential', delay: 5_000 },
    removeOnComplete: false,
    removeOnFail: false,
  };
}
