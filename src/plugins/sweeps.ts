import { FlowProducer, Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { QUEUES, type SweepPayload, type SweepResultValue } from '../queue/catalogue.js';
import type { SweepQueue } from '../sweeps/sweep-view.js';
import { idempotencyTtlSeconds, retentionMs } from '../jobs/job-retention.js';
import { scheduleRetention } from './retention-schedule.js';
import { SweepRetention } from '../sweeps/sweep-retention.js';
import { SweepService } from '../sweeps/sweep-service.js';

declare module 'fastify' {
  interface FastifyInstance {
    sweeps: SweepService;
  }
}

/** Hyperparameter sweeps: the sweeps queue, the flow producer that adds a sweep with its trials, the service. */
export default fp(
  async function sweepsPlugin(app: FastifyInstance) {
    const connection = app.redis;
    const prefix = app.config.QUEUE_PREFIX;
    const queue = new Queue<SweepPayload, SweepResultValue>(QUEUES.sweeps, { connection, prefix });
    const flows = new FlowProducer({ connection, prefix });
    // Both re-emit their connection's errors: logged, never thrown.
    queue.on('error', (error) => app.log.warn({ err: error }, 'sweeps queue error'));
    flows.on('error', (error) => app.log.warn({ err: error }, 'sweep flow producer error'));
    app.decorate(
      'sweeps',
      new SweepService({
        ...{ jobs: app.jobs, events: app.jobEvents, queue, flows, redis: connection, prefix },
        idempotencyTtlSeconds: idempotencyTtlSeconds(
          app.config.IDEMPOTENCY_TTL_SECONDS,
          app.config.JOB_RETENTION_DAYS,
        ),
      }),
    );
    app.addHook('onClose', async () => {
      await flows.close();
      await queue.close();
    });
    removeEndedSweeps(app, queue);
  },
  { name: 'sweeps', dependencies: ['redis', 'services'] },
);

/** Removes ended sweeps past JOB_RETENTION_DAYS every JOB_RETENTION_SWEEP_MS, after their trials have gone. */
function removeEndedSweeps(app: FastifyInstance, queue: SweepQueue): void {
  const { config } = app;
  if (config.JOB_RETENTION_DAYS === 0) return;
  const retention = new SweepRetention({
    queue,
    redis: app.redis,
    prefix: config.QUEUE_PREFIX,
    retentionMs: retentionMs(config.JOB_RETENTION_DAYS),
  });
  scheduleRetention(app, retention, 'sweep-retention', 'ended sweeps');
}
