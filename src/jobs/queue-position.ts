import type { Redis } from 'ioredis';
import { RedisScript } from '../redis-script.js';

/**
 * Above this many active jobs in the tenant, the jobs ahead are found by reading the wait list rather than by one
 * LPOS per active job: an LPOS compares about 50 list entries in the time reading one entry into the script takes.
 */
const LOOKUPS_BEFORE_SCAN = 50;
/** Wait-list entries read into the script at once, so that a long list is never copied whole. */
const SCAN_CHUNK = 1000;

// The job's place among its tenant's waiting jobs. Jobs are pushed on the left of the wait list (KEYS[1]) and
// taken from the right, so the ones ahead of it are the `ahead` entries to its right. The tenant's active jobs
// (KEYS[2], which submission records: every queued one is among them) are counted among those entries, whichever
// way is cheaper: an LPOS from the right for each active job, bounded to those entries (few active jobs), or the
// entries read in chunks and looked up in the active jobs at once (many). Either way the work is bounded by what
// is ahead of the job, never by the whole list. A job no longer in the list was queued when its state was read
// and has just been taken: it runs next, 1.
const QUEUE_POSITION = new RedisScript(`
local at = redis.call('LPOS', KEYS[1], ARGV[1], 'RANK', -1)
if not at then return 1 end
local ahead = redis.call('LLEN', KEYS[1]) - 1 - at
if ahead <= 0 then return 1 end
local position = 1
if redis.call('ZCARD', KEYS[2]) <= tonumber(ARGV[2]) then
  for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
    if id ~= ARGV[1] and redis.call('LPOS', KEYS[1], id, 'RANK', -1, 'MAXLEN', ahead) then
      position = position + 1
    end
  end
  return position
end
local chunk = tonumber(ARGV[3])
for from = 1, ahead, chunk do
  local to = math.min(from + chunk - 1, ahead)
  local ids = redis.call('LRANGE', KEYS[1], -to, -from)
  for _, score in ipairs(redis.call('ZMSCORE', KEYS[2], unpack(ids))) do
    if score then position = position + 1 end
  end
end
return position`);

/**
 * 1 when a queued job runs next of its tenant's jobs (other tenants' jobs are not counted): one round trip,
 * and never 0 or none for a job read as queued, however the queue moves in between.
 */
export async function queuePosition(
  redis: Redis,
  keys: { wait: string; tenantActiveJobs: string },
  id: string,
): Promise<number> {
  return (await QUEUE_POSITION.run(
    redis,
    [keys.wait, keys.tenantActiveJobs],
    [id, LOOKUPS_BEFORE_SCAN, SCAN_CHUNK],
  )) as number;
}
