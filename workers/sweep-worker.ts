import { Queue, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { JobEvents } from '../src/jobs/job-events.js';
import { JobReader } from '../src/jobs/job-view.js';
import { AliasStore } from '../src/models/alias-store.js';
import {
  QUEUES,
  type SweepPayload,
  type SweepResultValue,
  type TrainingPayload,
  type TrainingResultValue,
} from '../src/queue/catalogue.js';
import { MedianRule } from '../src/sweeps/median-rule.js';
import { SweepGate } from '../src/sweeps/sweep-gate.js';
import { SweepLog } from '../src/sweeps/sweep-log.js';
import { SweepReader } from '../src/sweeps/sweep-reader.js';
import type { WebhookFanout } from '../src/webhooks/webhook-fanout.js';
import { createSweepProcessor } from './sweep.processor.js';
import type { SweepTrialDeps } from './sweep-trial.js';

/**
 * What a training worker runs of sweeps: the deps its training processor runs trials with, and a small worker on
 * the sweeps queue that ends each sweep once its trials have (any training worker may; BullMQ gives it to one).
 */
export function startSweepWorker(
  config: Config,
  parts: { connection: Redis; events: JobEvents; fanout: WebhookFanout; logger: Logger },
) {
  const { connection, events, fanout, logger } = parts;
  const prefix = config.QUEUE_PREFIX;
  const training = new Queue<TrainingPayload, TrainingResultValue>(QUEUES.training, { connection, prefix });
  const sweeps = new Queue<SweepPayload, SweepResultValue>(QUEUES.sweeps, { connection, prefix });
  const jobs = new JobReader(training, connection, prefix);
  const log = new SweepLog(connection, prefix);
  const gate = new SweepGate(connection, prefix, training);
  const rule = new MedianRule(connection, prefix);
  const reader = new SweepReader({
    queue: sweeps,
    redis: connection,
    prefix,
    readJob: (t, id) => jobs.get(t, id, { place: false }),
  });
  const processor = createSweepProcessor({
    ...{ reader, log, gate, rule, fanout, logger, prefix },
    aliases: new AliasStore(connection, prefix),
    redis: connection,
  });
  const worker = new Worker<SweepPayload, SweepResultValue>(QUEUES.sweeps, processor, {
    connection,
    prefix,
    concurrency: 4,
    lockDuration: config.WORKER_LOCK_MS,
    stalledInterval: config.WORKER_STALLED_INTERVAL_MS,
  });
  worker.on('failed', (job, err) => logger.warn({ sweepId: job?.id, err }, 'could not end the sweep'));
  worker.on('error', (err) => logger.error({ err }, 'sweep worker error'));
  for (const queue of [training, sweeps])
    queue.on('error', (err) => logger.warn({ err }, 'sweep queue error'));
  const trialDeps: SweepTrialDeps = { gate, rule, log, events };
  return {
    trialDeps,
    worker,
    async close() {
      await worker.close();
      await sweeps.close();
      await training.close();
    },
  };
}
