import type { FastifyInstance } from 'fastify';
import { scheduleSweeps } from '../jobs/job-retention.js';

/**
 * Runs `retention` every JOB_RETENTION_SWEEP_MS from when the app is ready, stopped before its Redis connection
 * closes; what it removed and its failures are logged under `component`, naming `what` it removes.
 */
export function scheduleRetention(
  app: FastifyInstance,
  retention: { sweep(): Promise<number | null> },
  component: string,
  what: string,
): void {
  const log = app.log.child({ component });
  let sweeper: ReturnType<typeof scheduleSweeps> | undefined;
  app.addHook('onReady', async () => {
    sweeper = scheduleSweeps(retention, app.config.JOB_RETENTION_SWEEP_MS, {
      onSwept: (removed) => log.info({ removed }, `removed ${what} past their retention`),
      onError: (error) => log.warn({ err: error }, `could not remove ${what} past their retention`),
    });
  });
  app.addHook('preClose', async () => sweeper?.stop());
}
