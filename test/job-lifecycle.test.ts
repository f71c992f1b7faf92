import { Queue } from 'bullmq';
import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobEvent } from '../src/jobs/job-events.js';
import type { JobView } from '../src/jobs/job-service.js';
import { QUEUES, type TrainingPayload, type TrainingResultValue } from '../src/queue/catalogue.js';
import type { WorkerInfo } from '../src/queue/worker-registry.js';
import { createRedis } from '../src/redis.js';
import type { Problem } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { listen, spawnWorker, waitFor, type Spawned } from './helpers/processes.js';

const TENANT = 'default';
const MISSING_JOB = 'job_01hzzzzzzzzzzzzzzzzzzzzzzz';
const HEARTBEAT_MS = 200;
/** Epochs of the job whose event stream is read: long enough to reconnect mid-run, short enough to finish. */
const SSE_EPOCHS = 8;

interface EventsPage {
  items: JobEvent[];
  ended: boolean;
}

/** One Server-Sent Event as it came over the wire, its `data:` parsed as JSON. */
interface WireEvent {
  id: string;
  event: string;
  data: JobEvent;
}

interface StreamRead {
  status: number;
  contentType: string | null;
  events: WireEvent[];
  /** True when the server ended the response; false when the reader hung up. */
  endedByServer: boolean;
  /** When the request was sent (Date.now()). */
  requestedAt: number;
  /** The body of a response that was not an event stream (an error). */
  body?: string;
}

/** A `<ms>-<seq>` stream id as a pair of bigints, for comparing ids. */
const idParts = (id: string) => id.split('-').map((part) => BigInt(part)) as [bigint, bigint];
const idBefore = (a: string, b: string) => {
  const [am, as] = idParts(a);
  const [bm, bs] = idParts(b);
  return am < bm || (am === bm && as < bs);
};
const isTerminalEvent = (event: JobEvent) =>
  event.type === 'status' && ['succeeded', 'failed', 'cancelled'].includes(String(event.data.status));

/** Parses one SSE block (the lines between blank lines); undefined for a comment-only block (a heartbeat). */
function parseBlock(block: string): WireEvent | undefined {
  const fields: Record<string, string[]> = {};
  for (const line of block.split('\n')) {
    if (line === '' || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const name = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    (fields[name] ??= []).push(value);
  }
  if (!fields.data) return undefined;
  assert.equal(fields.id?.length, 1, `one id per event: ${block}`);
  assert.equal(fields.event?.length, 1, `one event type per event: ${block}`);
  return { id: fields.id[0]!, event: fields.event[0]!, data: JSON.parse(fields.data.join('\n')) as JobEvent };
}

/**
 * Reads a job's event stream with fetch, parsing the SSE framing by hand. Stops when the server ends the
 * response, or hangs up (aborting the fetch) as soon as `hangUpAfter` says so.
 */
async function readStream(
  url: string,
  options: {
    lastEventId?: string;
    hangUpAfter?: (events: WireEvent[]) => boolean;
    onEvent?: (event: WireEvent) => void;
  } = {},
): Promise<StreamRead> {
  const requestedAt = Date.now();
  const hangUp = new AbortController();
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  if (options.lastEventId !== undefined) headers['last-event-id'] = options.lastEventId;
  const response = await fetch(url, {
    headers,
    signal: AbortSignal.any([hangUp.signal, AbortSignal.timeout(60_000)]),
  });
  const read: StreamRead = {
    status: response.status,
    contentType: response.headers.get('content-type'),
    events: [],
    endedByServer: false,
    requestedAt,
  };
  if (!/^text\/event-stream/.test(read.contentType ?? '') || !response.body) {
    return { ...read, endedByServer: true, body: await response.text() };
  }
  const reader = (response.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { done, value } = await reader.read();
    if (done) {
      assert.equal(buffer.trim(), '', `the stream ended in the middle of an event: ${buffer}`);
      return { ...read, endedByServer: true };
    }
    buffer += decoder.decode(value, { stream: true });
    for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
      const block = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      const event = parseBlock(block);
      if (!event) continue;
      read.events.push(event);
      options.onEvent?.(event);
      if (options.hangUpAfter?.(read.events)) {
        hangUp.abort();
        await reader.cancel().catch(() => undefined);
        return read;
      }
    }
  }
}

describe('job lifecycle over HTTP: event streams, cancellation, idempotency, live workers', () => {
  // A listening API with a real worker process on its prefix.
  let env: TestEnv;
  let server: FastifyInstance;
  let base: string;
  let worker: Spawned;
  // A second prefix that no worker serves, so its jobs stay queued.
  let idle: TestEnv;
  let idleServer: FastifyInstance;
  let idleBase: string;
  let idleQueue: Queue<TrainingPayload, TrainingResultValue>;
  let idleRedis: ReturnType<typeof createRedis>;

  let digits: Dataset;
  let idleDigits: Dataset;
  let streamedJobId: string | undefined;
  let streamed: Promise<{ job: JobView; events: JobEvent[] }> | undefined;
  let cancelledJobId: string;

  const call = async <T>(
    root: string,
    method: string,
    url: string,
    options: { body?: string; type?: string; headers?: Record<string, string> } = {},
  ) => {
    const response = await fetch(`${root}${url}`, {
      method,
      headers: {
        ...(options.body === undefined ? {} : { 'content-type': options.type ?? 'application/json' }),
        ...options.headers,
      },
      body: options.body,
    });
    const text = await response.text();
    return {
      status: response.status,
      headers: response.headers,
      body: text,
      json: () => JSON.parse(text) as T,
    };
  };
  const api = <T>(method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
    call<T>(base, method, url, { body: body === undefined ? undefined : JSON.stringify(body), headers });
  const idleApi = <T>(method: string, url: string, body?: unknown, headers?: Record<string, string>) =>
    call<T>(idleBase, method, url, {
      body: body === undefined ? undefined : JSON.stringify(body),
      headers,
    });

  const expectProblem = (
    response: { status: number; headers: Headers; body: string },
    status: number,
    code: string,
  ): Problem => {
    assert.equal(
      response.status,
      status,
      `expected ${status} ${code}, got ${response.status}: ${response.body}`,
    );
    assert.match(response.headers.get('content-type') ?? '', /^application\/problem\+json/);
    const problem = JSON.parse(response.body) as Problem;
    assert.equal(problem.status, status);
    assert.equal(problem.code, code, `expected code ${code}, got ${problem.code}: ${problem.detail}`);
    return problem;
  };

  const getJob = async (id: string, root = base) => {
    const response = await call<JobView>(root, 'GET', `/v1/jobs/${id}`);
    assert.equal(response.status, 200, response.body);
    return response.json();
  };
  const allEvents = async (id: string, root = base) => {
    const response = await call<EventsPage>(root, 'GET', `/v1/jobs/${id}/events?limit=1000`);
    assert.equal(response.status, 200, response.body);
    return response.json();
  };
  const workers = async () => {
    const response = await api<{ items: WorkerInfo[] }>('GET', '/v1/workers');
    assert.equal(response.status, 200, response.body);
    return response.json().items;
  };
  const waitForStatus = (id: string, statuses: string[]) =>
    waitFor(`job ${id} to be ${statuses.join(' or ')}`, async () => {
      const job = await getJob(id);
      assert.equal(worker.child.exitCode, null, `the worker exited early:\n${worker.output()}`);
      return statuses.includes(job.status) ? job : undefined;
    });
  /** The job the first test streams, once it has finished (whatever became of that test's assertions). */
  const finishedStreamedJob = () =>
    (streamed ??= (async () => {
      assert.ok(streamedJobId, 'the first test submitted a job');
      const job = await waitForStatus(streamedJobId, ['succeeded', 'failed', 'cancelled']);
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      return { job, events: (await allEvents(job.id)).items };
    })());
  const uploadDigits = async (root: string, perClass: number) => {
    const response = await call<Dataset>(root, 'POST', '/v1/datasets?name=digits', {
      body: digitsCsv({ perClass }),
      type: 'text/csv',
    });
    assert.equal(response.status, 201, response.body);
    return response.json();
  };
  const cnnJob = (dataset: string, epochs: number, batchSize: number, seed: number) => ({
    dataset,
    architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [8, 16], denseUnits: 32 },
    hyperparameters: { epochs, batchSize, learningRate: 0.005 },
    seed,
  });

  before(async () => {
    const overrides = { WORKER_HEARTBEAT_MS: HEARTBEAT_MS, SSE_HEARTBEAT_MS: 1_000 };
    env = await createTestEnv('lifecycle', overrides);
    idle = await createTestEnv('lifecycle-idle', overrides);
    // The worker loads TF.js and warms its training process while the rest is set up.
    worker = spawnWorker(env.config, { WORKER_HEARTBEAT_MS: HEARTBEAT_MS, JOB_ATTEMPTS: 1 });
    ({ server, base } = await listen(env.config));
    ({ server: idleServer, base: idleBase } = await listen(idle.config));
    idleRedis = createRedis(idle.config, 'producer');
    idleQueue = new Queue(QUEUES.training, { connection: idleRedis, prefix: idle.prefix });
    digits = await uploadDigits(base, 30);
    idleDigits = await uploadDigits(idleBase, 5);
  });

  after(async () => {
    await worker?.kill();
    await server?.close();
    await idleServer?.close();
    await idleQueue?.close();
    idleRedis?.disconnect();
    await env?.cleanup();
    await idle?.cleanup();
  });

  it('SSE: a reader that hangs up mid-run and reconnects with Last-Event-ID sees every event once', async () => {
    const submitted = await api<JobView>('POST', '/v1/jobs', cnnJob(digits.id, SSE_EPOCHS, 8, 7));
    assert.equal(submitted.status, 201, submitted.body);
    const id = submitted.json().id;
    streamedJobId = id;
    const url = `${base}/v1/jobs/${id}/events`;

    // Read like an EventSource: hang up once, after the first epoch, and reconnect with Last-Event-ID; should
    // the server close a stream before the terminal event, reconnect too (and record it: it should not).
    const connections: Array<StreamRead & { lastEventId?: string }> = [];
    let hungUp = false;
    let lastEventId: string | undefined;
    for (;;) {
      assert.ok(connections.length < 300, 'the stream ends');
      const read = await readStream(url, {
        lastEventId,
        hangUpAfter: hungUp ? undefined : (events) => events.some((e) => e.event === 'epoch'),
      });
      connections.push({ ...read, lastEventId });
      lastEventId = read.events.at(-1)?.id ?? lastEventId;
      if (!read.endedByServer) hungUp = true;
      if (read.events.some((e) => isTerminalEvent(e.data))) break;
      // An EventSource waits a moment before it reconnects after the server closed the stream.
      if (read.endedByServer) await sleep(100);
    }
    const hangUp = connections.findIndex((c) => !c.endedByServer);
    assert.ok(hangUp >= 0, 'the reader hung up mid-run');
    assert.ok(hangUp < connections.length - 1, 'and reconnected');
    assert.equal(connections[hangUp + 1]!.lastEventId, connections[hangUp]!.events.at(-1)!.id);
    assert.ok(
      connections.slice(hangUp + 1).some((c) => c.events.some((e) => e.event === 'epoch')),
      'later epochs came after the reconnect',
    );
    const final = connections.at(-1)!;
    assert.equal(final.endedByServer, true, 'the server ends the stream after the terminal event');
    assert.ok(isTerminalEvent(final.events.at(-1)!.data), 'the terminal event is the last one sent');

    const wire = connections.flatMap((c) => c.events);
    const page = await allEvents(id);
    assert.equal(page.ended, true);
    // No gaps, no duplicates: exactly the log, in order; each event's data is the JSON endpoint's item.
    assert.deepEqual(
      wire.map((e) => e.data),
      page.items,
    );
    for (const event of wire) {
      assert.equal(event.id, event.data.id);
      assert.equal(event.event, event.data.type);
    }
    for (let i = 1; i < wire.length; i++) {
      assert.ok(idBefore(wire[i - 1]!.id, wire[i]!.id), `ids increase: ${wire[i - 1]!.id} < ${wire[i]!.id}`);
    }

    const items = page.items;
    assert.deepEqual(
      { type: items[0]!.type, status: items[0]!.data.status },
      { type: 'status', status: 'queued' },
    );
    assert.ok(items.some((e) => e.type === 'status' && e.data.status === 'running'));
    assert.deepEqual(
      items.filter((e) => e.type === 'epoch').map((e) => e.data.epoch),
      Array.from({ length: SSE_EPOCHS }, (_, i) => i + 1),
    );
    const progress = items.filter((e) => e.type === 'progress');
    assert.ok(progress.length > 0, 'progress events');
    for (const event of progress) assert.equal(event.data.epochs, SSE_EPOCHS);
    // A checkpoint after every epoch but the last.
    assert.deepEqual(
      items.filter((e) => e.type === 'checkpoint').map((e) => e.data.epoch),
      Array.from({ length: SSE_EPOCHS - 1 }, (_, i) => i + 1),
    );
    const last = items.at(-1)!;
    assert.equal(last.type, 'status');
    assert.equal(last.data.status, 'succeeded');
    assert.equal(last.data.modelId, `mdl_${id.slice('job_'.length)}`);
    assert.equal(items.filter(isTerminalEvent).length, 1, 'one terminal event');

    // Every connection was a 200 event stream that the server kept open until the terminal event: two in all.
    const premature = connections
      .map((c, i) => ({ ...c, i }))
      .filter((c) => c.endedByServer && c.i !== connections.length - 1)
      .map(
        (c) =>
          `connection ${c.i + 1} (Last-Event-ID ${c.lastEventId ?? 'none'}): ${c.status} ${c.contentType}, ` +
          `closed by the server after ${c.events.length} events${c.body ? `: ${c.body.slice(0, 160)}` : ''}`,
      );
    assert.equal(
      premature.length,
      0,
      `the server closed ${premature.length} of ${connections.length} live streams before the job ended, e.g.\n` +
        premature.slice(0, 4).join('\n'),
    );
    assert.equal(connections.length, 2);
    // The reconnected stream followed the run live: it carried events appended after it was requested.
    const resumed = connections[hangUp + 1]!;
    assert.ok(
      resumed.events.some((e) => Date.parse(e.data.at) > resumed.requestedAt),
      'events appended after the reconnect came over it',
    );
  });

  it('SSE after the end: no Last-Event-ID replays everything; the terminal id ends at once', async () => {
    const { job, events: streamedEvents } = await finishedStreamedJob();
    const id = job.id;
    const url = `${base}/v1/jobs/${id}/events`;
    const replay = await readStream(url);
    assert.equal(replay.status, 200);
    assert.match(replay.contentType ?? '', /^text\/event-stream/);
    assert.equal(replay.endedByServer, true);
    assert.deepEqual(
      replay.events.map((e) => e.data),
      streamedEvents,
    );

    // ?after= works in SSE mode too when there is no Last-Event-ID.
    const middle = streamedEvents[2]!.id;
    const rest = await readStream(`${url}?after=${middle}`);
    assert.equal(rest.endedByServer, true);
    assert.deepEqual(
      rest.events.map((e) => e.data),
      streamedEvents.slice(3),
    );

    const terminal = streamedEvents.at(-1)!;
    // Nothing after the terminal event: 204, which tells an EventSource to stop reconnecting.
    const atEnd = await readStream(url, { lastEventId: terminal.id });
    assert.equal(atEnd.status, 204);
    assert.equal(atEnd.endedByServer, true);
    assert.deepEqual(atEnd.events, []);

    // A Last-Event-ID that is not an event id is a 400.
    const bad = await call(base, 'GET', `/v1/jobs/${id}/events`, {
      headers: { accept: 'text/event-stream', 'last-event-id': '../x' },
    });
    expectProblem(bad, 400, 'validation_failed');
  });

  it('JSON pages: after + limit walk the log; ended only on the page with the terminal event', async () => {
    const { job, events: streamedEvents } = await finishedStreamedJob();
    const id = job.id;
    const pages: EventsPage[] = [];
    let after = '0';
    for (;;) {
      const response = await api<EventsPage>('GET', `/v1/jobs/${id}/events?after=${after}&limit=2`);
      assert.equal(response.status, 200, response.body);
      assert.match(response.headers.get('content-type') ?? '', /^application\/json/);
      const page = response.json();
      pages.push(page);
      if (page.items.length === 0) break;
      after = page.items.at(-1)!.id;
      assert.ok(pages.length <= streamedEvents.length, 'paging ends');
    }
    const expected = streamedEvents;
    const pageCount = Math.ceil(expected.length / 2);
    // The pages hold the log two by two, then an empty page after the end.
    assert.equal(pages.length, pageCount + 1);
    pages.slice(0, pageCount).forEach((page, i) => {
      assert.deepEqual(page.items, expected.slice(2 * i, 2 * i + 2), `page ${i}`);
      assert.equal(page.ended, i === pageCount - 1, `page ${i} ended`);
    });
    assert.deepEqual(pages.at(-1), { items: [], ended: true });

    // The default page: 100 events from the start.
    const first = await api<EventsPage>('GET', `/v1/jobs/${id}/events`);
    assert.deepEqual(first.json().items, expected.slice(0, 100));

    for (const after of ['../x', 'abc', '12-', '-1']) {
      expectProblem(
        await api('GET', `/v1/jobs/${id}/events?after=${encodeURIComponent(after)}`),
        400,
        'validation_failed',
      );
    }
    expectProblem(await api('GET', `/v1/jobs/${id}/events?limit=0`), 400, 'validation_failed');
    expectProblem(await api('GET', `/v1/jobs/${MISSING_JOB}/events`), 404, 'job_not_found');
    expectProblem(
      await call(base, 'GET', `/v1/jobs/${MISSING_JOB}/events`, { headers: { accept: 'text/event-stream' } }),
      404,
      'job_not_found',
    );
    expectProblem(await api('GET', `/v1/jobs/${MISSING_JOB}/checkpoints`), 404, 'job_not_found');
  });

  it('a running job shows etaSeconds and its worker in GET /v1/workers', async () => {
    // Small batches and many epochs: a job that runs until it is cancelled.
    const submitted = await api<JobView>('POST', '/v1/jobs', cnnJob(digits.id, 200, 4, 8));
    assert.equal(submitted.status, 201, submitted.body);
    cancelledJobId = submitted.json().id;
    const id = cancelledJobId;

    // Running, with an epoch done and its checkpoint written.
    await waitFor('an epoch and a checkpoint', async () => {
      const { items } = await allEvents(id);
      return items.some((e) => e.type === 'checkpoint') ? items : undefined;
    });
    const job = await getJob(id);
    assert.equal(job.status, 'running');
    assert.equal(job.cancelRequested, false);
    assert.ok(job.progress, 'a running job reports its progress');
    assert.ok(job.history.length >= 1);
    assert.ok(job.etaSeconds === null || typeof job.etaSeconds === 'number');
    // Past the first epoch the pace is known, so the estimate is too: most of 200 epochs are left.
    assert.equal(typeof job.etaSeconds, 'number');
    assert.ok(job.etaSeconds! > 0, `etaSeconds ${job.etaSeconds}`);
    assert.equal(job.etaSeconds, job.progress.etaSeconds);

    const live = await waitFor('the worker to report the job', async () => {
      const items = await workers();
      return items.find((w) => w.jobs.some((j) => j.id === id));
    });
    assert.equal((await workers()).length, 1);
    assert.equal(live.pid, worker.child.pid);
    assert.equal(live.backend, job.backend?.name);
    assert.equal(live.device, job.backend?.device);
    assert.equal(live.concurrency, 1);
    assert.equal(live.draining, false);
    assert.deepEqual(
      live.jobs.map((j) => j.id),
      [id],
    );
  });

  it('cancelling a running job: 202, then it ends cancelled with no model and no checkpoints', async () => {
    const id = cancelledJobId;
    const checkpoints = await api<{ items: unknown[] }>('GET', `/v1/jobs/${id}/checkpoints`);
    assert.ok(checkpoints.json().items.length >= 1, 'it had checkpoints while it ran');
    const jobDir = path.join(env.dataDir, 'tenants', TENANT, 'jobs', id);
    assert.ok((await filesUnder(jobDir)).length >= 1, 'checkpoint files while it ran');

    const cancel = await api<JobView>('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(cancel.status, 202, cancel.body);
    assert.equal(cancel.json().status, 'running');
    assert.equal(cancel.json().cancelRequested, true);

    const ended = await waitForStatus(id, ['cancelled', 'failed', 'succeeded']);
    assert.equal(ended.status, 'cancelled');
    assert.equal(ended.modelId, null);
    assert.equal(ended.error, null);
    assert.equal(ended.cancelRequested, false);

    const { items, ended: logEnded } = await allEvents(id);
    assert.equal(logEnded, true);
    assert.deepEqual(
      { type: items.at(-1)!.type, status: items.at(-1)!.data.status },
      { type: 'status', status: 'cancelled' },
    );
    assert.equal(items.filter(isTerminalEvent).length, 1, 'one terminal event');
    // A cancel is no failure: the job leaves BullMQ's failed jobs, which the queue dashboard and the failure
    // metric show, for the cancelled records.
    const counts = await waitFor('the cancelled job off the failed jobs', async () => {
      const text = await (await fetch(`${base}/metrics`)).text();
      const count = (state: string) =>
        Number(new RegExp(`^finetuned_queue_jobs\\{state="${state}"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? -1);
      return count('failed') === 0 && count('cancelled') >= 1 ? { failed: 0 } : undefined;
    });
    assert.deepEqual(counts, { failed: 0 });
    assert.equal((await api<JobView>('GET', `/v1/jobs/${id}`)).json().status, 'cancelled');

    expectProblem(await api('GET', `/v1/models/mdl_${id.slice('job_'.length)}`), 404, 'model_not_found');
    const after = await api<{ items: unknown[] }>('GET', `/v1/jobs/${id}/checkpoints`);
    assert.equal(after.status, 200, after.body);
    assert.deepEqual(after.json(), { items: [] });
    assert.deepEqual(await filesUnder(jobDir), []);

    // Cancelling again is fine.
    const again = await api<JobView>('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(again.status, 200, again.body);
    assert.equal(again.json().status, 'cancelled');
  });

  it('cancelling a succeeded job is a 409 job_finished; an unknown one a 404', async () => {
    const { job } = await finishedStreamedJob();
    const problem = expectProblem(await api('POST', `/v1/jobs/${job.id}/cancel`), 409, 'job_finished');
    assert.equal(problem.status, 409);
    assert.equal(problem.jobStatus, 'succeeded', 'the status the job ended with, beside the HTTP status');
    assert.equal((await getJob(job.id)).status, 'succeeded');
    expectProblem(await api('POST', `/v1/jobs/${MISSING_JOB}/cancel`), 404, 'job_not_found');
  });

  it('a worker that exits on SIGTERM leaves GET /v1/workers', async () => {
    // Its heartbeat reports it idle once the cancelled job has left it.
    const before = await waitFor('the worker to report no jobs', async () => {
      const items = await workers();
      return items.length === 1 && items[0]!.jobs.length === 0 ? items : undefined;
    });
    assert.equal(before[0]!.pid, worker.child.pid);
    worker.child.kill('SIGTERM');
    const [code, signal] = await worker.exited;
    assert.equal(signal, null, worker.output());
    assert.equal(code, 0, worker.output());
    assert.deepEqual(await workers(), []);
  });

  it('cancelling a queued job: 200 at once, cancelled, off the queue, its log ended', async () => {
    const submitted = await idleApi<JobView>('POST', '/v1/jobs', cnnJob(idleDigits.id, 3, 32, 1));
    assert.equal(submitted.status, 201, submitted.body);
    const id = submitted.json().id;
    assert.equal(submitted.json().status, 'queued');
    assert.equal(await idleQueue.getWaitingCount(), 1);
    assert.ok(await idleQueue.getJob(id));

    const cancel = await idleApi<JobView>('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(cancel.status, 200, cancel.body);
    assert.equal(cancel.json().status, 'cancelled');
    assert.equal(cancel.json().id, id);
    assert.equal(cancel.json().queuePosition, null);
    assert.equal(cancel.json().cancelRequested, false);
    assert.equal(typeof cancel.json().finishedAt, 'string');

    const job = await getJob(id, idleBase);
    assert.equal(job.status, 'cancelled');
    assert.equal(job.modelId, null);

    const { items, ended } = await allEvents(id, idleBase);
    assert.equal(ended, true);
    assert.deepEqual(
      items.map((e) => `${e.type} ${String(e.data.status)}`),
      ['status queued', 'status cancelled'],
    );
    // The SSE stream of a cancelled job replays its log and ends.
    const stream = await readStream(`${idleBase}/v1/jobs/${id}/events`);
    assert.equal(stream.endedByServer, true);
    assert.deepEqual(
      stream.events.map((e) => e.data),
      items,
    );

    const again = await idleApi<JobView>('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(again.status, 200, again.body);
    assert.equal(again.json().status, 'cancelled');

    assert.equal(await idleQueue.getJob(id), undefined);
    assert.equal(await idleQueue.getWaitingCount(), 0);
    const list = await idleApi<{ items: JobView[] }>('GET', '/v1/jobs?status=cancelled');
    assert.deepEqual(
      list.json().items.map((j) => j.id),
      [id],
    );
  });

  it('a live SSE stream of a queued job delivers its cancellation and ends', async () => {
    const submitted = await idleApi<JobView>('POST', '/v1/jobs', cnnJob(idleDigits.id, 3, 32, 2));
    assert.equal(submitted.status, 201, submitted.body);
    const id = submitted.json().id;
    let opened!: () => void;
    const firstEvent = new Promise<void>((resolve) => (opened = resolve));
    const stream = readStream(`${idleBase}/v1/jobs/${id}/events`, { onEvent: () => opened() });
    // The stream has sent the backlog (status queued) and waits for more when the cancel comes.
    await firstEvent;
    const cancel = await idleApi<JobView>('POST', `/v1/jobs/${id}/cancel`);
    assert.equal(cancel.status, 200, cancel.body);
    const read = await stream;
    assert.equal(read.status, 200);
    assert.deepEqual(
      read.events.map((e) => `${e.event} ${String(e.data.data.status)}`),
      ['status queued', 'status cancelled'],
      'the stream stayed open until the cancellation and carried it',
    );
    assert.equal(read.endedByServer, true);
    assert.deepEqual(
      read.events.map((e) => e.data),
      (await allEvents(id, idleBase)).items,
    );
  });

  it('idempotent submission: 50 concurrent requests with one key make one job', async () => {
    const listIds = async () => {
      const response = await idleApi<{ items: JobView[] }>('GET', '/v1/jobs?limit=100');
      assert.equal(response.status, 200, response.body);
      return response.json().items.map((job) => job.id);
    };
    const before = await listIds();
    const body = cnnJob(idleDigits.id, 2, 32, 42);
    const key = `lifecycle-${Date.now()}`;
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        idleApi<JobView>('POST', '/v1/jobs', body, { 'idempotency-key': key }),
      ),
    );
    const statuses = responses.map((r) => r.status);
    assert.equal(statuses.filter((s) => s === 201).length, 1, `statuses: ${statuses.join(',')}`);
    assert.equal(statuses.filter((s) => s === 200).length, 49, `statuses: ${statuses.join(',')}`);
    const ids = new Set(responses.map((r) => r.json().id));
    assert.equal(ids.size, 1);
    const [id] = ids;
    for (const response of responses) {
      assert.equal(
        response.headers.get('idempotent-replayed'),
        response.status === 200 ? 'true' : null,
        `status ${response.status}`,
      );
      assert.equal(response.json().status, 'queued');
    }
    const created = responses.find((r) => r.status === 201)!;
    assert.equal(created.headers.get('location'), `/v1/jobs/${id}`);
    const after = await listIds();
    assert.deepEqual(after, [id!, ...before]);
    assert.equal(await idleQueue.getWaitingCount(), 1);

    // The same key again, later: the same job.
    const replay = await idleApi<JobView>('POST', '/v1/jobs', body, { 'idempotency-key': key });
    assert.equal(replay.status, 200, replay.body);
    assert.equal(replay.json().id, id);

    // The same key with another body.
    const reused = expectProblem(
      await idleApi('POST', '/v1/jobs', { ...body, seed: 43 }, { 'idempotency-key': key }),
      422,
      'idempotency_key_reused',
    );
    assert.equal(reused.field, 'Idempotency-Key');

    // Another key: a new job.
    const other = await idleApi<JobView>('POST', '/v1/jobs', body, { 'idempotency-key': `${key}-2` });
    assert.equal(other.status, 201, other.body);
    assert.notEqual(other.json().id, id);
    assert.equal(other.headers.get('idempotent-replayed'), null);
    assert.deepEqual(await listIds(), [other.json().id, id!, ...before]);

    // Keys that are not 1 to 255 visible ASCII characters.
    for (const bad of ['k'.repeat(300), 'has space']) {
      const response = await idleApi('POST', '/v1/jobs', body, { 'idempotency-key': bad });
      expectProblem(response, 400, 'validation_failed');
    }
    assert.deepEqual(await listIds(), [other.json().id, id!, ...before]);
  });
});

/** Every file under `dir` (none when it does not exist). */
async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  });
  return entries.filter((entry) => entry.isFile()).map((entry) => entry.name);
}
