import type { Redis } from 'ioredis';
import { redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { RedisScript } from '../redis-script.js';

/** A sweep's statuses: queued until a trial runs, then running until its end. */
export const SWEEP_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'cancelled'] as const;
export type SweepStatus = (typeof SWEEP_STATUSES)[number];
const TERMINAL: ReadonlySet<string> = new Set(['succeeded', 'failed', 'cancelled']);

// Appends unless the log has ended; a status only from the status given (when one is), and a terminal one ends it.
const WRITE = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return false end
if ARGV[3] ~= '' and redis.call('GET', KEYS[3]) ~= ARGV[3] then return false end
local id = redis.call('XADD', KEYS[1], '*', 'type', ARGV[1], 'data', ARGV[2])
if ARGV[4] ~= '' then redis.call('SET', KEYS[3], ARGV[4]) end
if ARGV[5] == '1' then redis.call('SET', KEYS[2], '1') end
return id`);

/**
 * A sweep's event log: a Redis Stream read and followed like a job's (JobEvents, under the sweep's id), with
 * `status` events for the sweep and `trial` events as its trials start and end. Nothing follows the terminal
 * status, so an end written twice (a retried final step) is written once.
 */
export class SweepLog {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  private write(
    sweepId: string,
    type: string,
    data: Record<string, unknown>,
    status?: { to: string; from?: string },
  ) {
    const k = this.keys;
    const body = JSON.stringify({ ...data, at: new Date().toISOString() });
    return WRITE.run(
      this.redis,
      [k.events(sweepId), k.ended(sweepId), k.status(sweepId)],
      [type, body, status?.from ?? '', status?.to ?? '', status && TERMINAL.has(status.to) ? '1' : '0'],
    ) as Promise<string | null>;
  }

  /** Moves the sweep to `to`, only from `from` when given; false when not written. */
  async status(sweepId: string, to: SweepStatus, data: Record<string, unknown> = {}, from?: SweepStatus) {
    return (await this.write(sweepId, 'status', { status: to, ...data }, { to, from })) !== null;
  }

  /** A trial's start or end. */
  async trial(sweepId: string, data: Record<string, unknown>): Promise<void> {
    await this.write(sweepId, 'trial', data);
  }

  /** A line for the sweep's log. */
  async log(sweepId: string, message: string, level: 'info' | 'warn' = 'info'): Promise<void> {
    await this.write(sweepId, 'log', { level, message });
  }

  /** The sweep's last status. */
  lastStatus(sweepId: string): Promise<string | null> {
    return this.redis.get(this.keys.status(sweepId));
  }
}
