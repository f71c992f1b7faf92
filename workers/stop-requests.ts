import type { Redis } from 'ioredis';
import { redisKeysFor } from '../src/queue/catalogue.js';
import type { ActiveJob } from './train.processor.js';

/** How often the worker looks for cancel and pause requests it may have missed on their channels (a reconnect). */
const STOP_POLL_MS = 1_000;

/**
 * Cancel and pause requests arrive on channels, and stop the job's run with that reason; a poll catches any the
 * channels missed. A cancel is looked for first: it wins over a pause asked for at the same time.
 */
export async function watchStopRequests(
  connection: Redis,
  prefix: string,
  active: Map<string, ActiveJob>,
): Promise<{ subscriber: Redis; poll: NodeJS.Timeout }> {
  const keys = redisKeysFor(prefix);
  const subscriber = connection.duplicate();
  const reasons = new Map([
    [keys.cancelChannel(), 'cancel'],
    [keys.pauseChannel(), 'pause'],
  ]);
  await subscriber.subscribe(...reasons.keys());
  subscriber.on('message', (channel: string, jobId: string) =>
    active.get(jobId)?.controller.abort(reasons.get(channel)),
  );
  const poll = setInterval(() => {
    for (const [jobId, job] of active) {
      if (job.controller.signal.aborted) continue;
      void connection
        .mget(keys.cancel(jobId), keys.pause(jobId))
        .then(([cancel, pause]) => {
          if (cancel !== null) job.controller.abort('cancel');
          else if (pause !== null) job.controller.abort('pause');
        })
        .catch(() => undefined);
    }
  }, STOP_POLL_MS);
  return { subscriber, poll };
}
