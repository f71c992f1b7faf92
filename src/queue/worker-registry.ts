import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { redisKeysFor, type RedisKeys } from './catalogue.js';

export const WorkerInfoSchema = Type.Object(
  {
    id: Type.String(),
    host: Type.String(),
    pid: Type.Integer(),
    backend: Type.String(),
    device: Type.String(),
    concurrency: Type.Integer(),
    jobs: Type.Array(
      Type.Object({
        id: Type.String(),
        samplesPerSecond: Type.Union([Type.Number(), Type.Null()]),
      }),
      { description: 'The jobs it is running now' },
    ),
    samplesPerSecond: Type.Union([Type.Number(), Type.Null()], {
      description: 'Training throughput of its running jobs at the last heartbeat',
    }),
    draining: Type.Boolean({ description: 'Stopping: it takes no new jobs' }),
    startedAt: Type.String({ format: 'date-time' }),
    lastHeartbeat: Type.String({ format: 'date-time' }),
  },
  { title: 'Worker' },
);
export type WorkerInfo = Static<typeof WorkerInfoSchema>;

/** A worker drops out of the list after missing this long of heartbeats: three of them. */
export const workerHeartbeatTtl = (heartbeatMs: number) => heartbeatMs * 3;

/** Live training workers, from heartbeats that expire: a worker that stops beating drops out of the list. */
export class WorkerRegistry {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
    /** How long a heartbeat counts. */
    private readonly ttlMs: number,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  async beat(info: WorkerInfo): Promise<void> {
    await this.redis
      .multi()
      .set(this.keys.worker(info.id), JSON.stringify(info), 'PX', this.ttlMs)
      .zadd(this.keys.workers(), Date.now(), info.id)
      .exec();
  }

  async remove(id: string): Promise<void> {
    await this.redis.multi().del(this.keys.worker(id)).zrem(this.keys.workers(), id).exec();
  }

  /** The workers whose heartbeat has not expired, oldest first. */
  async list(): Promise<WorkerInfo[]> {
    const index = this.keys.workers();
    const since = Date.now() - this.ttlMs;
    await this.redis.zremrangebyscore(index, '-inf', `(${since}`);
    const ids = await this.redis.zrange(index, 0, -1);
    if (ids.length === 0) return [];
    const values = await this.redis.mget(ids.map((id) => this.keys.worker(id)));
    return values.flatMap((value) => (value ? [JSON.parse(value) as WorkerInfo] : []));
  }
}
