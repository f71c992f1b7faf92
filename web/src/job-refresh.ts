import type { Api } from './api.js';
import type { JobEvent, JobView } from './api-types.js';
import { isFinished } from './components/status-badge.js';
import { isFinal } from './sse.js';

const RETRY_MS = 300;
const TRIES = 20;

/**
 * The job as the API shows it after a status event. A worker writes a job's final event a moment before the
 * queue records the job as finished, so after a final event the job is read again until it shows as finished.
 */
export async function jobAfter(api: Api, id: string, event: JobEvent): Promise<JobView> {
  let job = await api.get<JobView>(`/v1/jobs/${id}`);
  for (let i = 1; isFinal(event) && !isFinished(job.status) && i < TRIES; i++) {
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    job = await api.get<JobView>(`/v1/jobs/${id}`);
  }
  return job;
}
