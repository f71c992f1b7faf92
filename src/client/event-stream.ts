import { setTimeout as sleep } from 'node:timers/promises';
import { ApiError, resultOf } from './api-error.js';
import { FINAL_STATUSES, type JobEvent, type JobStatus } from './types.js';

/** One Server-Sent Events message: its `id`, `event` and the `data` lines joined. */
export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Parses a text/event-stream body as the HTML standard says: comments (keep-alives) and `retry` are skipped. */
export async function* sseMessages(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  let buffer = '';
  let message: SseMessage = { id: undefined, event: undefined, data: '' };
  let hasData = false;
  for await (const chunk of body.pipeThrough(new TextDecoderStream())) {
    buffer += chunk;
    const lines = buffer.split(/\r\n|\r|\n/);
    // The last piece may be a line still arriving (a lone \r at the end could be half of \r\n: kept too).
    buffer = lines.pop() ?? '';
    for (const line of lines) {
      if (line === '') {
        if (hasData) yield message;
        message = { id: undefined, event: undefined, data: '' };
        hasData = false;
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'data') {
        message.data = hasData ? `${message.data}\n${value}` : value;
        hasData = true;
      } else if (field === 'id') message.id = value;
      else if (field === 'event') message.event = value;
    }
  }
}

/** The job's final status event ends its stream. */
export function isFinalEvent(event: JobEvent): boolean {
  return event.type === 'status' && FINAL_STATUSES.has(event.data.status as JobStatus);
}

export interface JobEventsOptions {
  /** Read on after this event id (default: from the job's first event). */
  after?: string;
  signal?: AbortSignal;
  /** How many times in a row a dropped stream is opened again before the error is thrown (default 5). */
  reconnects?: number;
}

const RECONNECT_DELAY_MS = 1000;

/**
 * A job's events as they happen, over its Server-Sent Events stream, ending with its final status (at once for a
 * job that has ended). A stream that drops (an API restart, a proxy's timeout) is opened again after the last
 * event seen, so nothing is missed or seen twice.
 */
export async function* followJobEvents(
  fetchEvents: (headers: Record<string, string>, signal?: AbortSignal) => Promise<Response>,
  { after = '0', signal, reconnects = 5 }: JobEventsOptions = {},
): AsyncGenerator<JobEvent> {
  let last = after;
  let failures = 0;
  for (;;) {
    const response = await fetchEvents({ accept: 'text/event-stream', 'last-event-id': last }, signal);
    // 204: the job has ended and nothing is left after `last`.
    if (response.status === 204) return;
    if (!response.ok || !response.body) {
      const { error } = await resultOf(response);
      throw new ApiError(response, error);
    }
    let dropped: unknown = new Error('the event stream closed before the job ended');
    try {
      for await (const message of sseMessages(response.body)) {
        const event = JSON.parse(message.data) as JobEvent;
        last = event.id;
        failures = 0;
        yield event;
        if (isFinalEvent(event)) return;
      }
    } catch (error) {
      if (signal?.aborted || error instanceof SyntaxError) throw error;
      dropped = error;
    }
    // A stream that keeps closing without news counts against `reconnects` as one that fails does.
    if (++failures > reconnects) throw dropped;
    await sleep(RECONNECT_DELAY_MS, undefined, { signal });
  }
}
