import type { Redis } from 'ioredis';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import type { EpochRow } from '../training/progress.js';
import type { TrialOfSweep } from './sweep-spec.js';
import { RedisScript } from '../redis-script.js';

/** How long a sweep's per-epoch records outlive their last write, should its end never clear them. */
const EPOCH_RECORD_TTL_SECONDS = 7 * 24 * 3600;

// Records the trial's best value up to this epoch (this epoch's, or its best up to the one before when that is
// better) and returns every trial's best at this epoch, as field/value pairs.
const RECORD = new RedisScript(`
local best = ARGV[2]
local before = redis.call('HGET', KEYS[2], ARGV[1])
if before then
  local b, v = tonumber(before), tonumber(best)
  if (ARGV[3] == 'max' and b > v) or (ARGV[3] == 'min' and b < v) then best = before end
end
redis.call('HSET', KEYS[1], ARGV[1], best)
redis.call('EXPIRE', KEYS[1], ARGV[4])
return redis.call('HGETALL', KEYS[1])`);

/** Why the rule stopped a trial: at which epoch, its best value and the median it fell behind. */
export interface StopVerdict {
  epoch: number;
  value: number;
  median: number;
  /** How many other trials had reached the epoch. */
  trials: number;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/**
 * The median stopping rule: after its grace epochs, a trial whose best metric so far is behind the median of the
 * other trials' best at the same epoch stops, provided enough of them have reached it. Every trial's best per
 * epoch is kept in Redis, so the rule sees trials running on other workers and trials that have ended.
 */
export class MedianRule {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  /** Records the trial's epoch; returns the verdict when the trial should stop here, else null. */
  async judge(trial: TrialOfSweep, jobId: string, row: EpochRow): Promise<StopVerdict | null> {
    const value = row[trial.metric];
    if (typeof value !== 'number' || !Number.isFinite(value)) return null;
    const { sweepEpoch } = this.keys;
    const pairs = (await RECORD.run(
      this.redis,
      [sweepEpoch(trial.sweepId, String(row.epoch)), sweepEpoch(trial.sweepId, String(row.epoch - 1))],
      [jobId, String(value), trial.goal, EPOCH_RECORD_TTL_SECONDS],
    )) as string[];
    const rule = trial.earlyStopping;
    if (!rule || row.epoch <= rule.graceEpochs) return null;
    let best = value;
    const others: number[] = [];
    for (let i = 0; i < pairs.length; i += 2) {
      if (pairs[i] === jobId) best = Number(pairs[i + 1]);
      else others.push(Number(pairs[i + 1]));
    }
    if (others.length < rule.minTrials) return null;
    const middle = median(others);
    const behind = trial.goal === 'max' ? best < middle : best > middle;
    return behind ? { epoch: row.epoch, value: best, median: middle, trials: others.length } : null;
  }

  /** Records that the rule stopped the trial, for the sweep's view. */
  async recordStop(trial: TrialOfSweep, jobId: string, verdict: StopVerdict): Promise<void> {
    await this.redis.hset(this.keys.sweepStopped(trial.sweepId), jobId, JSON.stringify(verdict));
  }

  /** The trials the rule stopped, by job id. */
  async stopped(sweepId: string): Promise<Map<string, StopVerdict>> {
    const all = await this.redis.hgetall(this.keys.sweepStopped(sweepId));
    return new Map(Object.entries(all).map(([id, raw]) => [id, JSON.parse(raw) as StopVerdict]));
  }

  /** Forgets a finished sweep's per-epoch records, up to its longest trial's epochs. */
  async clear(sweepId: string, epochs: number): Promise<void> {
    const keys = Array.from({ length: epochs + 1 }, (_, e) => this.keys.sweepEpoch(sweepId, String(e)));
    if (keys.length > 0) await this.redis.del(...keys);
  }
}
