import type { Redis } from 'ioredis';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { JOB_STATUSES, TERMINAL_STATUSES, type JobStatus } from './job-events.js';
import { RedisScript } from '../redis-script.js';

/** Where a job may go from each status; `new` is a job with no status yet. Terminal statuses lead nowhere. */
export const JOB_TRANSITIONS: Readonly<Record<JobStatus | 'new', readonly JobStatus[]>> = {
  new: ['queued'],
  // A worker takes it up; a cancel before it ran; stall detection fails a job whose workers died before one of
  // them recorded that it runs.
  // A pause holds it where it is.
  queued: ['running', 'paused', 'cancelled', 'failed'],
  // Another attempt after a crash; handed back by a stopping worker; paused at a checkpoint; its ends.
  running: ['retrying', 'queued', 'paused', 'succeeded', 'failed', 'cancelled'],
  retrying: ['running', 'queued', 'paused', 'failed', 'cancelled'],
  // A resume queues it again; a cancel ends it where it waits.
  paused: ['queued', 'cancelled', 'failed'],
  succeeded: [],
  failed: [],
  cancelled: [],
};

/** Whether `to` may follow `from`. */
export const canTransition = (from: JobStatus | 'new', to: JobStatus) => JOB_TRANSITIONS[from].includes(to);

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

// One transition, atomically, over keys `k` and arguments `a`: nothing is written after the terminal event (a job
// ends once, whoever notices first), nor by a worker that lost the lock, nor against the state machine (a[5]: the
// statuses it may come from), nor, when asked, over a recorded cancel. A terminal status also enters the job (a[7])
// in the ended jobs (k[5]) at Redis's time, where retention finds it. Every transition enters the untold ones (k[6])
// as `tenant \n job \n event id \n from` (a[8] is `tenant \n job`) until its listeners have run. The tenant's
// queued jobs (k[7]) hold the job while it is `queued`, by when it was. Returns the event id, or 0 (a cancel is
// recorded), -1 (refused), false (ended, or the lock is lost); the status it left comes second, and third, for a
// job now queued, how many of the tenant's queued jobs were queued before it. Run alone as TRANSITION, and inside
// a job's admission.
export const TRANSITION_LUA = `
local function transition(k, a)
  if k[8] and redis.call('GET', k[8]) ~= a[3] then return {false, ''} end
  if redis.call('EXISTS', k[2]) == 1 then return {false, ''} end
  local from = redis.call('GET', k[3]) or 'new'
  if not string.find(a[5], ',' .. from .. ',', 1, true) then return {-1, from} end
  if a[4] == '1' and redis.call('EXISTS', k[4]) == 1 then return {0, from} end
  local now = redis.call('TIME')
  local ms = now[1] * 1000 + math.floor(now[2] / 1000)
  if a[6] == '1' then
    redis.call('SET', k[2], '1')
    redis.call('ZADD', k[5], ms, a[7])
  end
  redis.call('SET', k[3], a[2])
  local id = redis.call('XADD', k[1], '*', 'type', 'status', 'data', a[1])
  redis.call('ZADD', k[6], ms, a[8] .. '\\n' .. id .. '\\n' .. from)
  local before = -1
  if a[2] == 'queued' then
    redis.call('ZADD', k[7], ms, a[7])
    before = redis.call('ZRANK', k[7], a[7])
  elseif from == 'queued' then
    redis.call('ZREM', k[7], a[7])
  end
  return {id, from, before}
end`;
const TRANSITION = new RedisScript(`${TRANSITION_LUA}
return transition(KEYS, ARGV)`);

/** A transition's entry among the untold ones. */
const untoldEntry = ({ tenant, jobId, eventId, from }: Transition) =>
  `${tenant}\n${jobId}\n${eventId}\n${from}`;

/** How many untold transitions one {@link JobLifecycle.retell} pass takes on. */
const RETELL_BATCH = 100;

/** For each status, the statuses it may be reached from, as the script matches them: `,queued,running,`. */
const SOURCES = Object.fromEntries(
  JOB_STATUSES.map((to) => [
    to,
    `,${(Object.keys(JOB_TRANSITIONS) as Array<JobStatus | 'new'>).filter((from) => canTransition(from, to)).join(',')},`,
  ]),
) as Record<JobStatus, string>;

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
}

/** What `transition` answers: the event id (or what it says instead), the status left, the place when queued. */
export type TransitionAnswer = [string | number | null, string, number?];

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
  private readonly statusListeners: Listener[] = [];
  private readonly endedListeners: Listener[] = [];

  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    private readonly onListenerError: (error: unknown, transition: Transition) => void = () => {},
  ) {
    this.keys = redisKeysFor(prefix);
  }

  /** Runs `listener` after every transition this process writes. */
  onStatus(listener: Listener): void {
    this.statusListeners.push(listener);
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

  /**
   * Writes a new job's `queued` status as {@link transition} does; returns its place among the tenant's queued
   * jobs in the order they were queued (1: none before it), undefined unless it was written. For a job about to be
   * added to the queue behind every other, that is its queue position without reading the queue, but for jobs
   * moving meanwhile (taken up, not yet written running; back from a retry's wait, not yet written queued).
   */
  async queueNew(job: JobRef): Promise<number | undefined> {
    const call = this.queueNewCall(job);
    const { place, told } = this.queuedNew(
      call,
      (await TRANSITION.run(this.redis, call.keys, call.args)) as TransitionAnswer,
    );
    await told;
    return place;
  }

  /** The keys and arguments of `transition` (TRANSITION_LUA) for a new job's `queued` status. */
  queueNewCall(job: JobRef): TransitionCall {
    return this.call(job, 'queued', {}, {});
  }

  /**
   * After `transition` answered a {@link queueNewCall}: the job's place as {@link queueNew} gives it, and the telling
   * of its listeners, under way (nothing a new job's `queued` is announced by waits on its being in the queue).
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
    const args = [
      event,
      to,
      options.lock?.token ?? '',
      options.unlessCancelled ? '1' : '0',
      SOURCES[to],
      TERMINAL_STATUSES.has(to) ? '1' : '0',
      job.id,
      `${job.tenant}\n${job.id}`,
    ];
    return { job, to, data, at, keys, args };
  }

  /** What `transition` answered, and the telling of the listeners of a transition it wrote. */
  private written(call: TransitionCall, [written, left, before = -1]: TransitionAnswer) {
    const { job, to, data, at } = call;
    const outcome = NOT_WRITTEN.get(written) ?? 'moved';
    const from = left as JobStatus | 'new';
    const told =
      outcome === 'moved'
        ? this.tell({ jobId: job.id, tenant: job.tenant, from, to, data, eventId: String(written), at })
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

  /**
   * Runs the listeners; once all of them have run without failing, the transition is no longer untold. Whether
   * they all did.
   */
  private async tell(transition: Transition): Promise<boolean> {
    const listeners = TERMINAL_STATUSES.has(transition.to)
      ? [...this.statusListeners, ...this.endedListeners]
      : this.statusListeners;
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
