import type { Job } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { AliasStore } from '../src/models/alias-store.js';
import { redisKeysFor, type SweepPayload, type SweepResultValue } from '../src/queue/catalogue.js';
import type { MedianRule } from '../src/sweeps/median-rule.js';
import type { SweepGate } from '../src/sweeps/sweep-gate.js';
import type { SweepLog } from '../src/sweeps/sweep-log.js';
import type { SweepReader } from '../src/sweeps/sweep-reader.js';
import type { SweepView } from '../src/sweeps/sweep-view.js';
import { sweepEventId } from '../src/webhooks/webhook-events.js';
import type { WebhookFanout } from '../src/webhooks/webhook-fanout.js';

export interface SweepProcessorDeps {
  reader: SweepReader;
  log: SweepLog;
  gate: SweepGate;
  rule: MedianRule;
  aliases: AliasStore;
  redis: Redis;
  prefix: string;
  fanout: WebhookFanout;
  logger: Logger;
}

/** How the sweep ended: cancelled when asked, else succeeded with a best trial, or failed with none. */
function outcomeOf(view: SweepView, cancelled: boolean): SweepResultValue['status'] {
  if (cancelled) return 'cancelled';
  return view.best ? 'succeeded' : 'failed';
}

/**
 * The processor of a sweep's parent job, which BullMQ runs once every trial has ended (succeeded, failed, or
 * cancelled): it picks the best trial by the sweep's metric, moves the alias to its model when asked, ends the
 * sweep's log, announces the end, and clears the sweep's working records. Each step may run again (a retry after a
 * crash) with the same outcome.
 */
export function createSweepProcessor(deps: SweepProcessorDeps) {
  const keys = redisKeysFor(deps.prefix);
  return async function processSweep(job: Job<SweepPayload, SweepResultValue>): Promise<SweepResultValue> {
    const id = job.id!;
    const { tenant, spec } = job.data;
    const view = await deps.reader.get(tenant, id);
    const cancelled = (await deps.redis.exists(keys.sweepCancel(id))) === 1;
    const status = outcomeOf(view, cancelled);
    let aliasMoved = false;
    if (status === 'succeeded' && spec.alias && view.best)
      aliasMoved = (await deps.aliases.set(tenant, spec.alias, view.best.modelId)) !== undefined;
    const finishedAt = new Date().toISOString();
    const ended = {
      best: view.best,
      counts: view.counts,
      ...(spec.alias && { alias: spec.alias, aliasMoved }),
    };
    const result: SweepResultValue = {
      status,
      best: view.best ? view.best.trial - 1 : null,
      aliasMoved,
      finishedAt,
    };
    // Recorded before the log's end, so that a view showing the end shows its outcome too.
    await job.updateData({ ...job.data, result });
    await deps.log.status(id, status, ended);
    await deps.fanout.publish(
      tenant,
      { id: sweepEventId(id), type: `sweep.${status}`, timestamp: finishedAt },
      async () => ({
        ...view,
        status,
        aliasMoved,
        finishedAt,
      }),
    );
    await deps.gate.clear(id);
    await deps.rule.clear(id, Math.max(0, ...view.trials.map((trial) => trial.epochs)));
    deps.logger.info({ sweepId: id, status, best: view.best?.trial ?? null, aliasMoved }, 'sweep ended');
    return result;
  };
}
