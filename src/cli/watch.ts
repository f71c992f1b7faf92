/**
 * Following a job to its end over its event stream (`jobs create --watch`, `jobs watch`). Ctrl-C asks whether
 * to cancel the job or detach from it (leaving it running); without a terminal to ask on, it detaches.
 */
import readline from 'node:readline/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { FINAL_STATUSES, unwrap, type Job, type JobEvent } from '../client/index.js';
import type { CommandContext } from './context.js';
import { watchDisplay } from './watch-display.js';

export interface Watched {
  job: Job;
  /** Ctrl-C and "detach": the job goes on without us. */
  detached: boolean;
}

/** Asks on the terminal; true for "cancel". A second Ctrl-C or the end of input detaches. */
async function askToCancel(watched: AbortSignal): Promise<boolean> {
  const rl = readline.createInterface({ input: process.stdin, output: process.stderr });
  const asking = new AbortController();
  // The job ended meanwhile: nothing to ask any more.
  watched.addEventListener('abort', () => asking.abort(), { once: true });
  rl.on('SIGINT', () => asking.abort());
  rl.on('close', () => asking.abort());
  try {
    const answer = await rl.question('cancel the job or detach? [c/d] ', { signal: asking.signal });
    return /^\s*c/i.test(answer);
  } catch {
    return false;
  } finally {
    rl.close();
  }
}

/** The job's epochs in all, from its spec: shown until a progress event says the phase's own. */
function specEpochs(job: Job): number | undefined {
  const hyperparameters = job.spec.hyperparameters as { epochs?: number } | undefined;
  return hyperparameters?.epochs;
}

/** What a watch does on Ctrl-C: `hold` the display while asking, then cancel and `release` it, or `detach`. */
interface Interruption {
  /** Aborted once the watch is over. */
  over: AbortSignal;
  hold: () => void;
  release: () => void;
  detach: () => void;
}

/** The SIGINT handler: ask, then cancel the job or stop following it. */
function onInterrupt({ client, output }: CommandContext, id: string, on: Interruption): () => void {
  let asking = false;
  return () => {
    if (asking) return;
    if (!process.stdin.isTTY) return on.detach();
    asking = true;
    on.hold();
    void askToCancel(on.over)
      .then(async (cancel) => {
        if (!cancel) return on.detach();
        await unwrap(client.POST('/v1/jobs/{id}/cancel', { params: { path: { id } } }));
        output.note(`cancel requested: waiting for job ${id} to stop`);
        on.release();
      })
      .catch((error: unknown) => {
        output.note(`the cancel failed: ${(error as Error).message}`);
        on.release();
      })
      .finally(() => (asking = false));
  };
}

const readJob = ({ client }: CommandContext, id: string) =>
  unwrap(client.GET('/v1/jobs/{id}', { params: { path: { id } } }));

// The job's record can lag its final event by a moment (its queue's bookkeeping): read until it agrees.
const SETTLE_POLL_MS = 200;
const SETTLE_TRIES = 50;

/** The job once its record shows it ended, as its event stream has said. */
async function endedJob(context: CommandContext, id: string): Promise<Job> {
  for (let attempt = 1; ; attempt++) {
    const job = await readJob(context, id);
    if (FINAL_STATUSES.has(job.status) || attempt >= SETTLE_TRIES) return job;
    await sleep(SETTLE_POLL_MS);
  }
}

/** Shows the job's events until it ends (or the watch is detached from), then reads it once more. */
export async function watchJob(context: CommandContext, id: string): Promise<Watched> {
  const { client, output } = context;
  const start = await readJob(context, id);
  const display = watchDisplay(output.json, specEpochs(start));
  const stopping = new AbortController();
  const over = new AbortController();
  let detached = false;
  // Events that come while the question is on the terminal wait for its answer.
  let held: JobEvent[] | undefined;
  const interrupt = onInterrupt(context, id, {
    over: over.signal,
    hold: () => {
      display.pause();
      held = [];
    },
    release: () => {
      const waiting = held ?? [];
      held = undefined;
      for (const event of waiting) display.event(event);
    },
    detach: () => {
      if (over.signal.aborted) return;
      detached = true;
      stopping.abort();
    },
  });
  process.on('SIGINT', interrupt);
  try {
    for await (const event of client.jobEvents(id, { signal: stopping.signal })) {
      if (held) held.push(event);
      else display.event(event);
    }
  } catch (error) {
    if (!detached) throw error;
  } finally {
    over.abort();
    process.off('SIGINT', interrupt);
    if (!detached) for (const event of held ?? []) display.event(event);
    display.stop();
  }
  return { job: await (detached ? readJob(context, id) : endedJob(context, id)), detached };
}
