import type { SSEReplyInterface } from '@fastify/sse';
import { Type } from 'typebox';
import { EVENT_ID_PATTERN, isTerminal, JobEventSchema, type JobEvent } from '../jobs/job-events.js';
import type { RouteApp } from './route-app.js';

/** The request parts of GET …/events: where to read on from, and how many a JSON page holds. */
export const EventsHeaders = Type.Object({
  'last-event-id': Type.Optional(Type.String({ pattern: EVENT_ID_PATTERN })),
});
export const EventsQuery = Type.Object(
  {
    after: Type.Optional(Type.String({ pattern: EVENT_ID_PATTERN, default: '0' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export const EventsPage = Type.Object(
  {
    items: Type.Array(JobEventSchema),
    ended: Type.Boolean({
      description: 'This page holds the terminal event, or there is nothing after it',
    }),
  },
  { title: 'EventPage' },
);

/** A JSON page of events, and whether the story ends there. */
export async function eventsPage(items: JobEvent[], ended: () => Promise<boolean>) {
  return { items, ended: items.some(isTerminal) || (items.length === 0 && (await ended())) };
}

/**
 * Sends a log's events after `after` as they come (a job's or a sweep's), until its terminal event, the client
 * goes or the API closes; `settle` runs after each quiet wait. `streams` holds the open streams.
 */
export async function streamEvents(
  app: RouteApp,
  streams: Set<AbortController>,
  sse: SSEReplyInterface,
  log: { id: string; after: string; settle?: () => Promise<void> },
): Promise<void> {
  const stream = new AbortController();
  streams.add(stream);
  sse.onClose(() => stream.abort());
  try {
    const events = app.jobEvents.follow(log.id, log.after, stream.signal, {
      idleMs: app.config.SSE_HEARTBEAT_MS,
      ...(log.settle && { onIdle: log.settle }),
    });
    await sse.send(
      (async function* () {
        for await (const event of events) yield { id: event.id, event: event.type, data: event };
      })(),
    );
  } finally {
    streams.delete(stream);
  }
}

/** Ends the reply 204 when the log has ended with nothing after `after`: it tells an EventSource to stop. */
export async function nothingMore(app: RouteApp, id: string, after: string): Promise<boolean> {
  return (await app.jobEvents.ended(id)) && (await app.jobEvents.read(id, after, 1)).length === 0;
}
