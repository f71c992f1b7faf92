import type { Api } from './api.js';
import type { JobEvent } from './api-types.js';
import { ApiProblem } from './problem.js';

/** One message of a text/event-stream. */
export interface SseMessage {
  id: string | undefined;
  event: string;
  data: string;
}

/**
 * The messages of an event stream, parsed as the HTML standard says (fields, multi-line data, comments), from a
 * response body read with fetch: an EventSource cannot send the Authorization header.
 */
export async function* readEventStream(body: ReadableStream<Uint8Array>): AsyncGenerator<SseMessage> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  let message: SseMessage = { id: undefined, event: 'message', data: '' };
  let data: string[] = [];
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      // Streaming: a character split across chunks is decoded once whole.
      buffer += decoder.decode(value, { stream: true });
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      for (const raw of lines) {
        const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
        if (line === '') {
          if (data.length > 0) yield { ...message, data: data.join('\n') };
          message = { id: message.id, event: 'message', data: '' };
          data = [];
          continue;
        }
        if (line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const text = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'data') data.push(text);
        else if (field === 'event') message.event = text;
        else if (field === 'id') message.id = text;
      }
    }
  } finally {
    reader.releaseLock();
  }
}

const TERMINAL = new Set(['succeeded', 'failed', 'cancelled']);

/** Whether an event is a job's last: its final status. */
export const isFinal = (event: JobEvent) =>
  event.type === 'status' && TERMINAL.has(String(event.data.status));

const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });

/**
 * Follows an event log (`path`: a job's or a sweep's events route) after `after` until its final status, the
 * signal aborts or the API refuses (a problem, thrown). A dropped connection is picked up again from the last
 * event seen, so none is missed or seen twice.
 */
export async function followEvents(
  api: Api,
  path: string,
  after: string,
  onEvent: (event: JobEvent) => void,
  signal: AbortSignal,
): Promise<void> {
  let last = after;
  let retryMs = 500;
  while (!signal.aborted) {
    try {
      const response = await api.request(path, {
        headers: { accept: 'text/event-stream', 'last-event-id': last },
        signal,
      });
      // The log has ended and nothing is left after `last`.
      if (response.status === 204 || !response.body) return;
      for await (const message of readEventStream(response.body)) {
        const event = JSON.parse(message.data) as JobEvent;
        last = message.id ?? event.id;
        retryMs = 500;
        onEvent(event);
        if (isFinal(event)) return;
      }
    } catch (error) {
      if (signal.aborted) return;
      // The API's refusal (a 404, a missing scope) will not pass by retrying.
      if (error instanceof ApiProblem && error.status < 500) throw error;
    }
    await sleep(retryMs, signal);
    retryMs = Math.min(retryMs * 2, 10_000);
  }
}

/** Follows a job's events after `after` until its final status (see followEvents). */
export const followJobEvents = (
  api: Api,
  jobId: string,
  after: string,
  onEvent: (event: JobEvent) => void,
  signal: AbortSignal,
) => followEvents(api, `/v1/jobs/${jobId}/events`, after, onEvent, signal);
