/**
 * Following a sweep to its end over its event stream (`sweeps create --watch`, `sweeps watch`): a line on stderr
 * as each trial starts, is stopped early or ends. Ctrl-C detaches, leaving the sweep running.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, unwrap, type JobEvent } from '../client/index.js';
import { followJobEvents } from '../client/event-stream.js';
import type { CommandContext } from './context.js';
import { sweepEnded, sweepEventText } from './sweep-lines.js';
import type { Sweep } from './sweep-request.js';

export interface WatchedSweep {
  sweep: Sweep;
  /** Ctrl-C: the sweep goes on without us. */
  detached: boolean;
}

export const readSweep = ({ client }: CommandContext, id: string) =>
  unwrap(client.GET('/v1/sweeps/{id}', { params: { path: { id } } }));

/** The sweep's events as they happen (a job's stream, read the same way), ending with its final status. */
function sweepEvents({ client }: CommandContext, id: string, signal: AbortSignal): AsyncGenerator<JobEvent> {
  return followJobEvents(
    async (headers, signal) => {
      const { error, response } = await client.GET('/v1/sweeps/{id}/events', {
        params: { path: { id } },
        headers,
        signal,
        parseAs: 'stream',
      });
      // The stream's reader takes the body; a problem is read here, where openapi-fetch has read it.
      if (!response.ok) throw new ApiError(response, error);
      return response;
    },
    { signal },
  );
}

// The sweep's final status is logged a moment before its record says when it finished: read until it does.
const SETTLE_POLL_MS = 200;
const SETTLE_TRIES = 50;

/** The sweep once its record shows it ended, as its event stream has said. */
async function endedSweep(context: CommandContext, id: string): Promise<Sweep> {
  for (let attempt = 1; ; attempt++) {
    const sweep = await readSweep(context, id);
    if ((sweepEnded(sweep) && sweep.finishedAt !== null) || attempt >= SETTLE_TRIES) return sweep;
    await sleep(SETTLE_POLL_MS);
  }
}

/** Shows the sweep's events until it ends (or Ctrl-C detaches), then reads it once more. */
export async function watchSweep(context: CommandContext, id: string): Promise<WatchedSweep> {
  const start = await readSweep(context, id);
  const stopping = new AbortController();
  let detached = false;
  const detach = () => {
    detached = true;
    stopping.abort();
  };
  process.on('SIGINT', detach);
  try {
    for await (const event of sweepEvents(context, id, stopping.signal))
      if (event.type !== 'progress') context.output.note(sweepEventText(event, start));
  } catch (error) {
    if (!detached) throw error;
  } finally {
    process.off('SIGINT', detach);
  }
  return { sweep: await (detached ? readSweep(context, id) : endedSweep(context, id)), detached };
}
