import { useEffect, useRef, useState } from 'preact/hooks';
import { useApi, type Api } from '../api.js';
import type { JobEvent, SweepView } from '../api-types.js';
import { isFinished } from '../components/status-badge.js';
import { asProblem, type ApiProblem } from '../problem.js';
import { followEvents, isFinal } from '../sse.js';

const RETRY_MS = 300;
const TRIES = 20;

/** Whether the sweep has ended for good: its final status written, and its end (time, alias) recorded. */
export const sweepEnded = (sweep: SweepView) => isFinished(sweep.status) && sweep.finishedAt !== null;

/**
 * The sweep as the API shows it after an event. Its worker writes the final status a moment before the queue
 * records the sweep's end (its time, whether the alias moved), so a finished sweep is read again until it has.
 */
async function sweepAfter(api: Api, id: string, event: JobEvent): Promise<SweepView> {
  const read = () => api.get<SweepView>(`/v1/sweeps/${id}`);
  let sweep = await read();
  const pending = (view: SweepView) =>
    (isFinal(event) && !isFinished(view.status)) || (isFinished(view.status) && view.finishedAt === null);
  for (let i = 1; pending(sweep) && i < TRIES; i++) {
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    sweep = await read();
  }
  return sweep;
}

/**
 * Keeps a sweep current while `live`: its event log is followed from the start, and each event (a status, a
 * trial starting or ending, a log line) reads the sweep again. Events that come while a read is under way are
 * answered by one more read, so a burst (the log's replay on opening) costs two. The problem, if the stream is
 * refused.
 */
export function useSweepStream(
  id: string,
  live: boolean,
  onSweep: (sweep: SweepView) => void,
): ApiProblem | undefined {
  const api = useApi();
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  // The callback changes with each render; the stream is opened once per sweep.
  const callback = useRef(onSweep);
  callback.current = onSweep;

  useEffect(() => {
    if (!live) return;
    setProblem(undefined);
    const controller = new AbortController();
    let reading = false;
    let waiting: JobEvent | null = null;
    const refresh = async (event: JobEvent): Promise<void> => {
      // A final event waiting is kept over a later one: it is the one whose read waits for the end.
      if (reading) {
        waiting = waiting && isFinal(waiting) ? waiting : event;
        return;
      }
      reading = true;
      try {
        const sweep = await sweepAfter(api, id, event);
        if (!controller.signal.aborted) callback.current(sweep);
      } catch {
        // Shown as it was; the next event reads it again.
      } finally {
        reading = false;
      }
      const next = waiting;
      waiting = null;
      if (next && !controller.signal.aborted) await refresh(next);
    };
    followEvents(
      api,
      `/v1/sweeps/${id}/events`,
      '0',
      (event) => void refresh(event),
      controller.signal,
    ).catch((error: unknown) => setProblem(asProblem(error)));
    return () => controller.abort();
  }, [api, id, live]);
  return problem;
}
