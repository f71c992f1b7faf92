import type { ChainableCommander, Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { StringRecord } from '../string-record.js';
import { RedisScript } from '../redis-script.js';

export const EVENT_TYPES = ['status', 'epoch', 'progress', 'log', 'checkpoint', 'trial'] as const;
export type EventType = (typeof EVENT_TYPES)[number];
/** A job's statuses, in its view and in its `status` events. */
export const JOB_STATUSES = [
  'queued',
  'running',
  'retrying',
  'paused',
  'succeeded',
  'failed',
  'cancelled',
] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const TERMINAL_STATUSES: ReadonlySet<string> = new Set<JobStatus>([
  'succeeded',
  'failed',
  'cancelled',
]);

/** A stream id (`<ms>-<seq>`, each part well inside the 64 bits Redis allows), or 0 for "from the start". */
export const EVENT_ID_PATTERN = '^(0|[0-9]{1,15}-[0-9]{1,15})$';

export const JobEventSchema = Type.Object(
  {
    id: Type.String({ description: 'Orders events; pass it as `after` or Last-Event-ID to read on from it' }),
    type: Type.Enum([...EVENT_TYPES]),
    at: Type.String({ format: 'date-time' }),
    data: StringRecord(Type.Unknown(), {
      description:
        "status: {status, attempt?, message?, modelId?, error?}; epoch: an epoch row; progress: {phase, epoch, epochs, batch, batches, fraction, samplesPerSecond, etaSeconds}; log: {level, message}; checkpoint: a checkpoint; trial (a sweep's log): {trial, jobId, status, value?, stoppedEarly?}",
    }),
  },
  { title: 'Event' },
);
export type JobEvent = Static<typeof JobEventSchema>;

/** An event to append: its type and data. */
export interface NewEvent {
  type: Exclude<EventType, 'status'>;
  data: Record<string, unknown>;
}

export const isTerminal = (event: Pick<JobEvent, 'type' | 'data'>) =>
  event.type === 'status' && TERMINAL_STATUSES.has(String(event.data.status));

// Appends an event unless the log has ended: nothing follows the terminal event, not even the late events of
// a worker that lost its job.
const APPEND = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
return redis.call('XADD', KEYS[1], '*', 'type', ARGV[1], 'data', ARGV[2])`);

function parseEntries(entries: Array<[string, string[]]>): JobEvent[] {
  return entries.map(([id, fields]) => {
    const value = (name: string) => fields[fields.indexOf(name) + 1]!;
    const { at, ...data } = JSON.parse(value('data')) as Record<string, unknown> & { at: string };
    return { id, type: value('type') as EventType, at, data };
  });
}

/**
 * The durable, ordered event log of each job: a Redis Stream kept as long as the job. Any process can append
 * and any API process can read or follow it, so a client's stream does not depend on which process serves it.
 */
export class JobEvents {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  private key(jobId: string) {
    return this.keys.events(jobId);
  }

  /**
   * Appends an event (progress, an epoch, a log line, a checkpoint); returns its id, or null when the log has
   * ended. Status events are the job lifecycle's to write (src/jobs/job-lifecycle.ts), checked against its states.
   */
  async append(jobId: string, event: NewEvent): Promise<string | null> {
    if ((event.type as EventType) === 'status')
      throw new Error('status events are written by the job lifecycle');
    const data = JSON.stringify({ ...event.data, at: new Date().toISOString() });
    return (await APPEND.run(this.redis, [this.key(jobId), this.keys.ended(jobId)], [event.type, data])) as
      string | null;
  }

  /** The job's last status, as its events tell it. */
  lastStatus(jobId: string): Promise<string | null> {
    return this.redis.get(this.keys.status(jobId));
  }

  async ended(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.ended(jobId))) === 1;
  }

  /** Up to `limit` events after the event `after` ('0' for the first). */
  async read(jobId: string, after: string, limit: number): Promise<JobEvent[]> {
    const start = after === '0' ? '-' : `(${after}`;
    return parseEntries(await this.redis.xrange(this.key(jobId), start, '+', 'COUNT', limit));
  }

  /**
   * Follows the log from after `after` until the terminal event (included) or until `signal` aborts. Waits
   * on its own connection, blocking at most `idleMs` at a time; `onIdle` runs after each quiet wait (the caller
   * checks there whether the job ended without saying so).
   */
  async *follow(
    jobId: string,
    after: string,
    signal: AbortSignal,
    options: { idleMs: number; onIdle?: () => Promise<void> },
  ): AsyncGenerator<JobEvent> {
    let last = after;
    let reader: Redis | undefined;
    const hangUp = () => reader?.disconnect();
    signal.addEventListener('abort', hangUp);
    try {
      while (!signal.aborted) {
        const events = await this.read(jobId, last, 100);
        for (const event of events) {
          yield event;
          last = event.id;
          if (isTerminal(event)) return;
        }
        if (events.length > 0) continue;
        // Nothing new: a terminal event at or before `last` means the client has seen the end.
        if (await this.ended(jobId)) return;
        // Its own connection, which queues the first command until it has connected.
        reader ??= this.redis.duplicate({ enableOfflineQueue: true });
        if (signal.aborted) break;
        const start = last === '0' ? '0-0' : last;
        const woke = await reader
          .xread('COUNT', 1, 'BLOCK', options.idleMs, 'STREAMS', this.key(jobId), start)
          .catch((error: unknown) => {
            if (signal.aborted) return null;
            throw error;
          });
        if (!woke && !signal.aborted) await options.onIdle?.();
      }
    } finally {
      signal.removeEventListener('abort', hangUp);
      reader?.disconnect();
    }
  }

  /** Deletes a job's log and its markers. */
  async delete(jobId: string): Promise<void> {
    await this.redis.del(...this.logKeys(jobId));
  }

  /** {@link delete}'s command, added to `batch`. */
  deleteIn(batch: ChainableCommander, jobId: string): ChainableCommander {
    return batch.del(...this.logKeys(jobId));
  }

  private logKeys(jobId: string): string[] {
    return [this.key(jobId), this.keys.ended(jobId), this.keys.status(jobId)];
  }
}
