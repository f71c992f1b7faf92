import type { Redis } from 'ioredis';
import type { RedisKeys } from '../queue/catalogue.js';
import { JOB_SLOT_LUA, type TenantQuotas } from '../quotas/tenant-quotas.js';
import { RedisScript } from '../redis-script.js';
import type { JobEvents } from './job-events.js';
import type { JobLifecycle } from './job-lifecycle.js';
import { TRANSITION_LUA, type TransitionAnswer } from './job-transitions.js';
import type { JobSpec } from './job-spec.js';
import { CLAIM_LUA, type ResourceGuard } from './resource-guard.js';

interface AdmissionDeps {
  redis: Redis;
  keys: RedisKeys;
  guard: ResourceGuard;
  lifecycle: JobLifecycle;
  events: JobEvents;
  quotas?: TenantQuotas;
}

// A job's admission in one step, from the parts their owners run alone: the tenant's quota (its q = 0 or 2 keys
// first, its arguments after the job's id), the claim on its c resources (2c keys), the tenant's index (one key),
// and its `queued` status (the rest of the keys and arguments). ARGV: q, c, the job's id, the quota's 3 arguments
// when q > 0, then the transition's. Answers as admit_job does when the quota refuses; else {0, 0, the claim's
// refusal (0: none), then what the transition answers}. A refused claim leaves nothing written.
const ADMIT = new RedisScript(`${JOB_SLOT_LUA}${CLAIM_LUA}${TRANSITION_LUA}
local q, c, id = tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3]
if q > 0 then
  local admitted = admit_job(KEYS[1], KEYS[2], id, ARGV[4], ARGV[5], ARGV[6])
  if admitted[1] ~= 0 then return admitted end
end
local refused = claim(KEYS, q + 1, c, id)
if refused > 0 then
  if q > 0 then release_job(KEYS[1], id) end
  return {0, 0, refused}
end
local index = q + 2 * c + 1
redis.call('ZADD', KEYS[index], 0, id)
local k, a = {}, {}
for i = index + 1, #KEYS do k[#k + 1] = KEYS[i] end
for i = (q > 0 and 7 or 4), #ARGV do a[#a + 1] = ARGV[i] end
local written = transition(k, a)
return {0, 0, 0, written[1], written[2], written[3]}`);

type AdmitAnswer = [number, number, number?, ...TransitionAnswer];

/**
 * What a checked job goes through before it is added to the queue: the tenant's quota, the claim on its dataset
 * and base, the tenant's index, and its `queued` status, all in one round trip; and the undoing of all of it for
 * a job that never reached the queue.
 */
export class JobAdmission {
  constructor(private readonly deps: AdmissionDeps) {}

  /**
   * Admits the job; returns its place among the tenant's queued jobs, and the telling of its `queued` status's
   * listeners, under way. A refusal leaves nothing written.
   */
  async admit(tenant: string, id: string, spec: JobSpec): Promise<ReturnType<JobLifecycle['queuedNew']>> {
    const { redis, keys, guard, lifecycle, quotas } = this.deps;
    const quota = quotas?.admissionCall(tenant) ?? { keys: [], args: [] };
    const claimed = guard.claimKeys(tenant, spec);
    const queued = lifecycle.queueNewCall({ id, tenant });
    const scriptKeys = [...quota.keys, ...claimed, keys.tenantJobs(tenant), ...queued.keys];
    const args = [quota.keys.length, claimed.length / 2, id, ...quota.args, ...queued.args];
    const attempt = async () => (await ADMIT.run(redis, scriptKeys, args)) as AdmitAnswer;
    const [, , refused = 0, ...written] = quotas ? await quotas.admitWith(tenant, attempt) : await attempt();
    guard.refuseClaim(spec, refused);
    return lifecycle.queuedNew(queued, written);
  }

  /** Undoes {@link admit} for a job that never reached the queue, in one transaction. */
  async undo(tenant: string, id: string, spec: JobSpec): Promise<void> {
    const { redis, keys, guard, events, quotas } = this.deps;
    const batch = guard.releaseIn(redis.multi(), tenant, id, spec);
    batch.zrem(keys.tenantJobs(tenant), id).zrem(keys.queuedJobs(tenant), id);
    events.deleteIn(batch, id);
    if (quotas) quotas.releaseJobIn(batch, tenant, id);
    await batch.exec();
  }
}
