import type { Redis } from 'ioredis';

// The job's place among its tenant's waiting jobs. Jobs are pushed on the left of the wait list (KEYS[1]) and
// taken from the right, so the ones ahead of it are to its right. Only the tenant's active jobs (KEYS[2], which
// submission records: at most TENANT_MAX_ACTIVE_JOBS ids, every queued one among them) are looked up, each with LPOS from the right, where the next jobs to run are: the
// work is bounded by the tenant's quota, not by how many jobs all tenants have waiting. A job no longer in the
// list was queued when its state was read and has just been taken: it runs next, 1.
const QUEUE_POSITION = `
local at = redis.call('LPOS', KEYS[1], ARGV[1], 'RANK', -1)
if not at then return 1 end
local position = 1
for _, id in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
  if id ~= ARGV[1] then
    local other = redis.call('LPOS', KEYS[1], id, 'RANK', -1)
    if other and other > at then position = position + 1 end
  end
end
return position`;

/**
 * 1 when a queued job runs next of its tenant's jobs (other tenants' jobs are not counted): one round trip,
 * and never 0 or none for a job read as queued, however the queue moves in between.
 */
export async function queuePosition(
  redis: Redis,
  keys: { wait: string; tenantActiveJobs: string },
  id: string,
): Promise<number> {
  return (await redis.eval(QUEUE_POSITION, 2, keys.wait, keys.tenantActiveJobs, id)) as number;
}
