import os from 'node:os';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import { newId } from '../src/ids.js';
import { WorkerRegistry, workerHeartbeatTtl, type WorkerInfo } from '../src/queue/worker-registry.js';
import type { BackendInfo } from '../src/tf/backend.js';
import type { ActiveJob } from './train.processor.js';

/** The worker's entry in the registry, kept alive by a heartbeat carrying its jobs and their pace. */
export interface Heartbeats {
  id: string;
  beat(): Promise<void>;
  /** Stops beating and takes the worker out of the registry (a failure leaves its entry to expire). */
  stop(): Promise<void>;
}

/** Registers the worker and beats every WORKER_HEARTBEAT_MS; the first beat is the caller's, once it is ready. */
export function startHeartbeats(
  config: Config,
  connection: Redis,
  backend: BackendInfo,
  state: { active: Map<string, ActiveJob>; draining: boolean },
  logger: Logger,
): Heartbeats {
  const registry = new WorkerRegistry(
    connection,
    config.QUEUE_PREFIX,
    workerHeartbeatTtl(config.WORKER_HEARTBEAT_MS),
  );
  const info: WorkerInfo = {
    id: newId('wrk'),
    host: os.hostname(),
    pid: process.pid,
    backend: backend.name,
    device: backend.device,
    concurrency: config.WORKER_CONCURRENCY,
    jobs: [],
    samplesPerSecond: null,
    draining: false,
    startedAt: new Date().toISOString(),
    lastHeartbeat: new Date().toISOString(),
  };
  const beat = async () => {
    info.jobs = [...state.active].map(([id, job]) => ({ id, samplesPerSecond: job.samplesPerSecond }));
    const paces = info.jobs.flatMap((job) => (job.samplesPerSecond === null ? [] : [job.samplesPerSecond]));
    info.samplesPerSecond = paces.length > 0 ? paces.reduce((a, b) => a + b, 0) : null;
    info.draining = state.draining;
    info.lastHeartbeat = new Date().toISOString();
    await registry.beat(info);
  };
  const heartbeat = setInterval(
    () => void beat().catch((error: unknown) => logger.warn({ err: error }, 'heartbeat failed')),
    config.WORKER_HEARTBEAT_MS,
  );
  const stop = async () => {
    clearInterval(heartbeat);
    await registry.remove(info.id).catch(() => undefined);
  };
  return { id: info.id, beat, stop };
}
