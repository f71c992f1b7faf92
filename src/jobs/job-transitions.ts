/** The job state machine, and the Lua script that writes one transition atomically against it. */
import { RedisScript } from '../redis-script.js';
import { JOB_STATUSES, type JobStatus } from './job-events.js';

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

/** For each status, the statuses it may be reached from, as the script matches them: `,queued,running,`. */
export const SOURCES = Object.fromEntries(
  JOB_STATUSES.map((to) => [
    to,
    `,${(Object.keys(JOB_TRANSITIONS) as Array<JobStatus | 'new'>).filter((from) => canTransition(from, to)).join(',')},`,
  ]),
) as Record<JobStatus, string>;

// One transition, atomically, over keys `k` and arguments `a`: nothing is written after the terminal event (a job
// ends once, whoever notices first), nor by a worker that lost the lock, nor against the state machine (a[5]: the
// statuses it may come from), nor, when asked, over a recorded cancel. A terminal status also enters the job (a[7])
// in the ended jobs (k[5]) at Redis's time, where retention finds it. A transition with listeners enters the untold
// ones (k[6]) as `tenant \n job \n event id \n from` (a[8] is `tenant \n job`, empty for none) until they have run. The tenant's
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
  if a[8] ~= '' then redis.call('ZADD', k[6], ms, a[8] .. '\\n' .. id .. '\\n' .. from) end
  local before = -1
  if a[2] == 'queued' then
    redis.call('ZADD', k[7], ms, a[7])
    before = redis.call('ZRANK', k[7], a[7])
  elseif from == 'queued' then
    redis.call('ZREM', k[7], a[7])
  end
  return {id, from, before}
end`;
export const TRANSITION = new RedisScript(`${TRANSITION_LUA}
return transition(KEYS, ARGV)`);

/** What `transition` answers: the event id (or what it says instead), the status left, the place when queued. */
export type TransitionAnswer = [string | number | null, string, number?];
