import type { Job, Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import { QUEUES, redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import type { TrialOfSweep } from './sweep-spec.js';
import { RedisScript } from '../redis-script.js';

/**
 * How long a trial held back waits before a worker looks at it again. Trials are promoted as soon as a place
 * frees up; this only bounds the wait should that be missed (the process ending a trial died first).
 */
export const SWEEP_HOLD_MS = 120_000;

// A pickup that only held the trial started no attempt: BullMQ counted one (the job hash's `ats`), taken back.
const UNCOUNT_START = new RedisScript(`
local started = tonumber(redis.call('HGET', KEYS[1], 'ats') or '0')
if started > 0 then redis.call('HINCRBY', KEYS[1], 'ats', -1) end`);

// The admitted trials (KEYS[1]) that no worker holds any more (ended, paused, or their worker died and its lock ran
// out) leave; \`me\` (a trial taking its place now) stays. \`lockPrefix\` is the training queue's key prefix.
const leaveUnheld = (me: string, lockPrefix: string) => `
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if id ~= ${me} and redis.call('EXISTS', ${lockPrefix} .. id .. ':lock') == 0 then redis.call('ZREM', KEYS[1], id) end
end`;

// Unheld trials leave first; then the trial is admitted if it was, or if there is room, and held (by its index)
// if not. Returns 1 when admitted.
const ENTER = new RedisScript(`${leaveUnheld('ARGV[1]', 'ARGV[3]')}
if redis.call('ZSCORE', KEYS[1], ARGV[1]) then return 1 end
if redis.call('ZCARD', KEYS[1]) < tonumber(ARGV[2]) then
  redis.call('ZADD', KEYS[1], ARGV[4], ARGV[1])
  redis.call('ZREM', KEYS[2], ARGV[1])
  return 1
end
redis.call('ZADD', KEYS[2], ARGV[5], ARGV[1])
return 0`);

// Room left once the admitted trials no worker holds have left, then the held trials in index order.
const ROOM = new RedisScript(`${leaveUnheld("''", 'ARGV[2]')}
local room = tonumber(ARGV[1]) - redis.call('ZCARD', KEYS[1])
if room <= 0 then return {0} end
local reply = redis.call('ZRANGE', KEYS[2], 0, -1)
table.insert(reply, 1, room)
return reply`);

/**
 * Keeps a sweep to `parallel` trials running at once. A worker taking up a trial asks the gate first: admitted,
 * it runs; otherwise it is held in the delayed set, as a paused job is, its worker slot free. The gate is the one
 * judge: a trial promoted too eagerly is only held again. A trial that ends leaves, and the held trials with the
 * lowest indexes are promoted into the room.
 */
export class SweepGate {
  private readonly keys: RedisKeys;
  private readonly lockPrefix: string;

  constructor(
    private readonly redis: Redis,
    prefix: string,
    private readonly training: Queue,
  ) {
    this.keys = redisKeysFor(prefix);
    this.lockPrefix = `${prefix}:${QUEUES.training}:`;
  }

  /** Whether the trial may run now; if not, it is recorded as held. */
  async enter(trial: TrialOfSweep, jobId: string): Promise<boolean> {
    const admitted = await ENTER.run(
      this.redis,
      [this.keys.sweepAdmitted(trial.sweepId), this.keys.sweepHeld(trial.sweepId)],
      [jobId, trial.parallel, this.lockPrefix, Date.now(), trial.index],
    );
    return admitted === 1;
  }

  /** Holds a trial the gate did not admit in the delayed set; a place that freed meanwhile is taken at once. */
  async hold(trial: TrialOfSweep, job: Job, token: string | undefined): Promise<void> {
    await job.moveToDelayed(Date.now() + SWEEP_HOLD_MS, token);
    await UNCOUNT_START.run(this.redis, [`${job.queueQualifiedName}:${job.id}`]);
    await this.promoteHeld(trial);
  }

  /** The trial's place is free: it leaves, and held trials are promoted into the room. */
  async leave(trial: TrialOfSweep, jobId: string): Promise<void> {
    await this.redis.zrem(this.keys.sweepAdmitted(trial.sweepId), jobId);
    await this.promoteHeld(trial);
  }

  /** Promotes as many held trials as there is room for, lowest index first. */
  async promoteHeld(trial: Pick<TrialOfSweep, 'sweepId' | 'parallel'>): Promise<void> {
    const { sweepAdmitted, sweepHeld } = this.keys;
    const [room, ...ids] = (await ROOM.run(
      this.redis,
      [sweepAdmitted(trial.sweepId), sweepHeld(trial.sweepId)],
      [trial.parallel, this.lockPrefix],
    )) as [number, ...string[]];
    let left = room;
    for (const id of ids) {
      if (left <= 0) return;
      const job = await this.training.getJob(id);
      // Gone (cancelled while held) or taken up already: no longer held.
      if (!job || (await job.getState()) !== 'delayed') {
        await this.redis.zrem(sweepHeld(trial.sweepId), id);
        continue;
      }
      if (
        await job.promote().then(
          () => true,
          () => false,
        )
      )
        left -= 1;
    }
  }

  /** Forgets a finished sweep's places. */
  async clear(sweepId: string): Promise<void> {
    await this.redis.del(this.keys.sweepAdmitted(sweepId), this.keys.sweepHeld(sweepId));
  }
}
