import { useEffect, useRef, useState } from 'preact/hooks';
import { useApi } from '../api.js';
import type { EpochRow, JobEvent, JobView } from '../api-types.js';
import { asProblem, type ApiProblem } from '../problem.js';
import { followJobEvents } from '../sse.js';

/** The log keeps this many events (progress events are not kept: the bar shows the latest). */
const LOG_SIZE = 500;

export interface JobStream {
  /** Epoch rows as they came, one per phase and epoch. */
  rows: EpochRow[];
  log: JobEvent[];
  progress: JobView['progress'];
  problem: ApiProblem | undefined;
}

const rowKey = (row: Pick<EpochRow, 'phase' | 'epoch'>) => `${row.phase}:${row.epoch}`;

/**
 * A job's event log from its start, then live until its final status. `onStatus` and `onCheckpoint` say when
 * the job's record and its checkpoints are worth reading again.
 */
export function useJobStream(
  id: string,
  onStatus: (event: JobEvent) => void,
  onCheckpoint: () => void,
): JobStream {
  const api = useApi();
  const [stream, setStream] = useState<JobStream>({ rows: [], log: [], progress: null, problem: undefined });
  // The callbacks change with each render; the stream is opened once per job.
  const callbacks = useRef({ onStatus, onCheckpoint });
  callbacks.current = { onStatus, onCheckpoint };

  useEffect(() => {
    setStream({ rows: [], log: [], progress: null, problem: undefined });
    const controller = new AbortController();
    const onEvent = (event: JobEvent) => {
      if (event.type === 'status') callbacks.current.onStatus(event);
      if (event.type === 'checkpoint') callbacks.current.onCheckpoint();
      setStream((state) => {
        if (event.type === 'progress')
          return { ...state, progress: event.data as unknown as JobView['progress'] };
        const log = [...state.log, event].slice(-LOG_SIZE);
        if (event.type !== 'epoch') return { ...state, log };
        const row = event.data as unknown as EpochRow;
        const rows = state.rows.filter((r) => rowKey(r) !== rowKey(row));
        return { ...state, log, rows: [...rows, row] };
      });
    };
    followJobEvents(api, id, '0', onEvent, controller.signal).catch((error: unknown) =>
      setStream((state) => ({ ...state, problem: asProblem(error) })),
    );
    return () => controller.abort();
  }, [api, id]);
  return stream;
}

/** The job's rows and the stream's together, in training order: the record's first, then what came since. */
export function mergeRows(recorded: EpochRow[], streamed: EpochRow[]): EpochRow[] {
  const rows = new Map<string, EpochRow>();
  for (const row of [...recorded, ...streamed]) rows.set(rowKey(row), row);
  const phaseOrder = (row: EpochRow) => (row.phase === 'head' ? 0 : 1);
  return [...rows.values()].sort((a, b) => phaseOrder(a) - phaseOrder(b) || a.epoch - b.epoch);
}
