import { useEffect } from 'preact/hooks';
import { useApi } from '../api.js';
import type { JobEvent, JobView } from '../api-types.js';
import { isFinished } from '../components/status-badge.js';
import { jobAfter } from '../job-refresh.js';
import { followJobEvents } from '../sse.js';

/** At most this many streams at once, one per unfinished job shown: a browser allows few connections per host. */
const MAX_STREAMS = 4;

type Change = (job: JobView) => JobView;

/**
 * Keeps the unfinished jobs of a list current over their event streams: progress from `progress` events, the
 * whole job again on each `status` event. Streams start a little before `since` (the list's time, by the API's
 * clock), so nothing that happened after the list was read is missed.
 */
export function useLiveJobs(jobs: JobView[], since: number, onChange: (id: string, change: Change) => void) {
  const api = useApi();
  const live = jobs
    .filter((job) => !isFinished(job.status))
    .slice(0, MAX_STREAMS)
    .map((job) => job.id);
  const key = live.join(',');
  useEffect(() => {
    const controller = new AbortController();
    const after = `${Math.max(0, since - 5_000)}-0`;
    for (const id of live) {
      const onEvent = (event: JobEvent) => {
        if (event.type === 'progress') {
          const progress = event.data as unknown as NonNullable<JobView['progress']>;
          onChange(id, (job) => ({ ...job, progress, etaSeconds: progress.etaSeconds }));
        } else if (event.type === 'status') {
          jobAfter(api, id, event).then(
            (fresh) => onChange(id, () => fresh),
            () => undefined,
          );
        }
      };
      // A stream that fails leaves the row as the list showed it.
      followJobEvents(api, id, after, onEvent, controller.signal).catch(() => undefined);
    }
    return () => controller.abort();
  }, [key, since]);
}
