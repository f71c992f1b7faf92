import type { Redis } from 'ioredis';
import { redisKeysFor } from '../src/queue/catalogue.js';
import type { ActiveJob } from './train.processor.js';

/** How often the worker looks for cancel requests it may have missed on the channel (a reconnect, say). */
const CANCEL_POLL_MS = 1_000;

/** Cancels arrive on a channel; a poll catches any the channel missed. */
export async function watchCancels(
  connection: Redis,
  prefix: string,
  active: Map<string, ActiveJob>,
): Promise<{ subscriber: Redis; poll: NodeJS.Timeout }> {
  const keys = redisKeysFor(prefix);
  const subscriber = connection.duplicate();
  await subscriber.subscribe(keys.cancelChannel());
  subscriber.on('message', (_channel, jobId: string) => active.get(jobId)?.controller.abort('cancel'));
  const poll = setInterval(() => {
    for (const [jobId, job] of active) {
      void connection
        .exists(keys.cancel(jobId))
        .then((found) => found && job.controller.abort('cancel'))
        .catch(() => undefined);
    }
  }, CANCEL_POLL_MS);
  return { subscriber, poll };
}
