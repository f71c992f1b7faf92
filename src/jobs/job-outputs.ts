import type { Redis } from 'ioredis';
import type { ModelStore } from '../models/model-store.js';
import { uncountStoredModel } from '../quotas/tenant-quotas.js';
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
