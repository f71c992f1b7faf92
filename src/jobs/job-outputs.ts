import type { Redis } from 'ioredis';
import type { ModelStore } from '../models/model-store.js';
import { uncountStoredModel } from '../quotas/tenant-quotas.js';
import type { TrainingProgress } from '../queue/catalogue.js';
import type { CheckpointStore } from './checkpoint-store.js';

/** The model id a job registers: derived from the job id, so a retried job overwrites rather than duplicates. */
export const modelIdOfJob = (jobId: string) => `mdl_${jobId.slice('job_'.length)}`;

/** Where a job's outputs are kept: its model (counted against the tenant's storage) and its checkpoints. */
export interface JobOutputs {
  models: ModelStore;
  checkpoints: CheckpointStore;
  redis: Redis;
  prefix: string;
}

/**
 * Deletes what a job that ended cancelled made: the model an attempt stored (and counted) before the cancel
 * won, and its checkpoints. A cancelled job keeps neither; calling this again changes nothing.
 */
export async function discardCancelledJob(outputs: JobOutputs, tenant: string, jobId: string): Promise<void> {
  const modelId = modelIdOfJob(jobId);
  await outputs.models.delete(tenant, modelId);
  await uncountStoredModel(outputs.redis, outputs.prefix, tenant, modelId);
  await outputs.checkpoints.deleteAll(tenant, jobId);
}

/**
 * Why a failed job failed: the code its worker recorded, else `worker_lost` when stall detection failed it (its
 * workers kept dying), else `training_failed`. The job view, its terminal event and the worker all use this.
 */
export function failureOf(
  failedReason: string | undefined,
  reported: TrainingProgress | null,
): { code: string; message: string } {
  if (reported?.error) return reported.error;
  const message = failedReason ?? 'unknown failure';
  return { code: /stalled/i.test(message) ? 'worker_lost' : 'training_failed', message };
}
