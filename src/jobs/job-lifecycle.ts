import type { Redis } from 'ioredis';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { JOB_STATUSES, TERMINAL_STATUSES, type JobStatus } from './job-events.js';
import { RedisScript } from '../redis-script.js';
import { SOURCES, TRANSITION, type TransitionAnswer } from './job-transitions.js';

export { canTransition, JOB_TRANSITIONS, type TransitionAnswer } from './job-transitions.js';

/** A transition that happened: the job, its tenant, the status it left and the one it took, with its data. */
export interface Transition {
  jobId: string;
  tenant: string;
  from: JobStatus | 'new';
  to: JobStatus;
  data: Record<string, unknown>;
  /** The id of its `status` event in the job's log: one per transition. */
  eventId: string;
  /** When it was written, as its event says. */
  at: string;
}

/** What came of asking for a transition. */
export type TransitionOutcome =
  /** Written: the job is in the new status. */
  | 'moved'
  /** Not written, because a cancel was accepted first: the job is to end cancelled instead. */
  | 'cancel_requested'
  /** Not written: the job has ended already, or the worker asking no longer holds its lock. */
  | 'not_held'
  /** Not written: the state machine has no such transition from where the job is. */
  | 'refused';

export interface TransitionOptions {
  /** Only while the worker's token still holds the job's lock. */
  lock?: { key: string; token: string };
  /** Not while a cancel is recorded: a cancel answered 202 always ends cancelled. */
  unlessCancelled?: boolean;
}

/** A transition's entry among the untold ones. */
const untoldEntry = ({ tenant, jobId, eventId, from }: Transition) =>
  `${tenant}\n${jobId}\n${eventId}\n${from}`;

/** How many untold transitions one {@link JobLifecycle.retell} pass takes on. */
const RETELL_BATCH = 100;

// A cancel and a worker's end exclude each other: the cancel is recorded (KEYS[3]) only while the log has not
// ended, and returns the status it ended with otherwise.
const REQUEST_CANCEL = new RedisScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return redis.call('GET', KEYS[2]) or 'ended' end
redis.call('SET', KEYS[3], '1')
return false`);

type Listener = (transition: Transition) => void | Promise<void>;
type JobRef = { id: string; tenant: string };

/** A transition as `transition` (TRANSITION_LUA) is to be run: its keys and arguments, and what its event says. */
export interface TransitionCall {
  job: JobRef;
  to: JobStatus;
  data: Record<string, unknown>;
  at: string;
  keys: string[];
  args: string[];
  /** The listeners told of it once written: a transition none hears keeps no untold entry. */
  listeners: Listener[];
}

/** What the script answers instead of an event id when it wrote nothing. */
const NOT_WRITTEN = new Map<unknown, TransitionOutcome>([
  [0, 'cancel_requested'],
  [-1, 'refused'],
  [null, 'not_held'],
]);

/**
 * The one owner of a job's status: every transition (queued, running, retrying, paused, succeeded, failed,
 * cancelled) is written here, as a `status` event in the job's log, atomically checked against the state machine.
 * The process whose write took the job to a status tells its listeners, once per job and transition: `status` for
 * every one, `ended` for the terminal ones (where webhooks, metrics and quota slots hang). Should it die before
 * they have all run, or one fail, the API tells its own again later ({@link retell}): listeners are idempotent.
 */
export class JobLifecycle {
  private readonly statusListeners: Array<{ listener: Listener; statuses: ReadonlySet<JobStatus> }> = [];
  private readonly endedListeners: Listener[] = [];

  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onListenerError: (error: unknown, transition: Transition) => void = () => {},
  ) {
    this.keys = redisKeysFor(prefix);
  }

  /**
   * Runs `listener` after every transition to one of `statuses` (all of them, by default) this process writes. A
   * transition no listener is told of is written without the untold entry it would otherwise keep until they ran.
   */
  onStatus(listener: Listener, statuses: readonly JobStatus[] = JOB_STATUSES): void {
    this.statusListeners.push({ listener, statuses: new Set(statuses) });
  }

  /** Runs `listener` once a job ends, in the process that ended it. */
  onEnded(listener: Listener): void {
    this.endedListeners.push(listener);
  }

  /** Moves the job to `to`, with `data` in its status event; see {@link TransitionOutcome}. */
  async transition(
    job: JobRef,
    to: JobStatus,
    data: Record<string, unknown> = {},
    options: TransitionOptions = {},
  ): Promise<TransitionOutcome> {
    return (await this.write(job, to, data, options)).outcome;
  }

  /** The keys and arguments of `transition` (TRANSITION_LUA) for a new job's `queued` status. */
  queueNewCall(job: JobRef): TransitionCall {
    return this.call(job, 'queued', {}, {});
  }

  /**
   * After `transition` answered a {@link queueNewCall}: the job's place among the tenant's queued jobs in the order
   * they were queued (1: none before it; undefined unless it was written), and the telling of its listeners, under
   * way (nothing a new job's `queued` is announced by waits on its being in the queue). For a job about to be added
   * to the queue behind every other, the place is its queue position without reading the queue, but for jobs moving
   * meanwhile (taken up, not yet written running; back from a retry's wait, not yet written queued).
   */
  queuedNew(
    call: TransitionCall,
    answer: TransitionAnswer,
  ): { place: number | undefined; told: Promise<unknown> } {
    const { outcome, before, told } = this.written(call, answer);
    return { place: outcome === 'moved' && before >= 0 ? before + 1 : undefined, told };
  }

  private async write(job: JobRef, to: JobStatus, data: Record<string, unknown>, options: TransitionOptions) {
    const call = this.call(job, to, data, options);
    const { outcome, before, told } = this.written(
      call,
      (await TRANSITION.run(this.redis, call.keys, call.args)) as TransitionAnswer,
    );
    await told;
    return { outcome, before };
  }

  private call(job: JobRef, to: JobStatus, data: Record<string, unknown>, options: TransitionOptions) {
    const { keys: k } = this;
    const keys = [k.events(job.id), k.ended(job.id), k.status(job.id), k.cancel(job.id), k.endedJobs()];
    keys.push(k.untoldTransitions(), k.queuedJobs(job.tenant));
    if (options.lock) keys.push(options.lock.key);
    const at = new Date().toISOString();
    const event = JSON.stringify({ status: to, ...data, at });
    const listeners = this.listenersOf(to);
    const args = [
      event,
      to,
      options.lock?.token ?? '',
      options.unlessCancelled ? '1' : '0',
      SOURCES[to],
      TERMINAL_STATUSES.has(to) ? '1' : '0',
      job.id,
      listeners.length > 0 ? `${job.tenant}\n${job.id}` : '',
    ];
    return { job, to, data, at, keys, args, listeners };
  }

  /** What `transition` answered, and the telling of the listeners of a transition it wrote. */
  private written(call: TransitionCall, [written, left, before = -1]: TransitionAnswer) {
    const { job, to, data, at, listeners } = call;
    const outcome = NOT_WRITTEN.get(written) ?? 'moved';
    const from = left as JobStatus | 'new';
    const told =
      outcome === 'moved' && listeners.length > 0
        ? this.tell(
            { jobId: job.id, tenant: job.tenant, from, to, data, eventId: String(written), at },
            listeners,
          )
        : Promise.resolve(true);
    return { outcome, before, told };
  }

  /**
   * Ends a job `failed` unless a cancel was accepted first; then `cancelled`. The status it ended with, or null
   * when it had ended already.
   */
  async fail(
    job: { id: string; tenant: string },
    data: Record<string, unknown>,
    options: TransitionOptions = {},
  ): Promise<'failed' | 'cancelled' | null> {
    const outcome = await this.transition(job, 'failed', data, { ...options, unlessCancelled: true });
    if (outcome === 'moved') return 'failed';
    if (outcome !== 'cancel_requested') return null;
    return (await this.transition(job, 'cancelled', {}, options)) === 'moved' ? 'cancelled' : null;
  }

  /** Records a cancel request unless the job has ended; returns null when recorded, else the status it ended with. */
  async requestCancel(jobId: string): Promise<string | null> {
    return (await REQUEST_CANCEL.run(this.redis, [
      this.keys.ended(jobId),
      this.keys.status(jobId),
      this.keys.cancel(jobId),
    ])) as string | null;
  }

  /** Whether a cancel was accepted for the job. */
  async cancelRequested(jobId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.cancel(jobId))) === 1;
  }

  /**
   * Tells this process's listeners of transitions written more than `olderThanMs` ago whose listeners never all
   * ran: the process that wrote one died first, or a listener failed (Redis away, say). A transition of a job
   * gone (past its retention), or that can no longer be read, is dropped; one whose listeners fail again goes to
   * the back, to be told after another `olderThanMs`, so that a batch of those never holds up the rest. Returns
   * how many were told.
   */
  async retell(olderThanMs: number): Promise<number> {
    const [seconds, micros] = await this.redis.time();
    const now = Number(seconds) * 1000 + Math.floor(Number(micros) / 1000);
    const key = this.keys.untoldTransitions();
    const entries = await this.redis.zrangebyscore(key, '-inf', now - olderThanMs, 'LIMIT', 0, RETELL_BATCH);
    let told = 0;
    for (const entry of entries) {
      const transition = await this.untold(entry);
      if (!transition) await this.redis.zrem(key, entry);
      else if (await this.tell(transition)) told += 1;
      // Only while it is still untold: the process that wrote it may have told it meanwhile.
      else await this.redis.zadd(key, 'XX', now, entry);
    }
    return told;
  }

  /** The transition an untold entry names, read back from its status event; undefined when that is gone. */
  private async untold(entry: string): Promise<Transition | undefined> {
    const parts = entry.split('\n');
    if (parts.length !== 4) return undefined;
    const [tenant, jobId, eventId, from] = parts as [string, string, string, JobStatus | 'new'];
    const [found] = await this.redis.xrange(this.keys.events(jobId), eventId, eventId);
    const fields = found?.[1] ?? [];
    if (fields[fields.indexOf('type') + 1] !== 'status') return undefined;
    try {
      const { status, at, ...data } = JSON.parse(fields[fields.indexOf('data') + 1] ?? '') as {
        status: JobStatus;
        at: string;
      };
      if (!JOB_STATUSES.includes(status)) return undefined;
      return { jobId, tenant, from, to: status, data, eventId, at };
    } catch {
      return undefined;
    }
  }

  /** The listeners a transition to `to` is told of. */
  private listenersOf(to: JobStatus): Listener[] {
    const told = this.statusListeners
      .filter(({ statuses }) => statuses.has(to))
      .map(({ listener }) => listener);
    return TERMINAL_STATUSES.has(to) ? [...told, ...this.endedListeners] : told;
  }

  /**
   * Runs the listeners; once all of them have run without failing, the transition is no longer untold. Whether
   * they all did.
   */
  private async tell(transition: Transition, listeners = this.listenersOf(transition.to)): Promise<boolean> {
    let failed = false;
    for (const listener of listeners) {
      try {
        await listener(transition);
      } catch (error) {
        // A listener's failure (a metric, a webhook queue) never undoes or fails the transition; it is told
        // again later (see retell).
        failed = true;
        this.onListenerError(error, transition);
      }
    }
    if (!failed) await this.redis.zrem(this.keys.untoldTransitions(), untoldEntry(transition));
    return !failed;
  }
}
