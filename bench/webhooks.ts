/**
 * `npm run bench:webhooks`: how long after a job ends its webhook arrives.
 * 1. BENCH_WEBHOOK_JOBS (default 100) tiny jobs, one at a time, trained by a worker process; the API on a real port
 *    delivers `job.succeeded` to a receiver on 127.0.0.1 that verifies each delivery with `standardwebhooks` and
 *    answers 204. Latency: from the job's end (the `timestamp` of the event, when the worker wrote `succeeded`)
 *    to the receiver having the whole request.
 * 2. Under load: BENCH_WEBHOOK_EVENTS (default 1000) events enqueued as a worker enqueues them,
 *    BENCH_CONCURRENCY (default 50) at a time, from enqueueing to receipt; the API sends WEBHOOK_CONCURRENCY (8)
 *    at once.
 * Everything lives under a fresh key prefix and temp DATA_DIR, removed at the end.
 */
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Webhook } from 'standardwebhooks';
import { listenApi, percentile, startBenchRun, startWorkerProcess, tinyDigitsCsv } from './harness.js';
import { createRedis, describeRedis } from '../src/redis.js';
import { deliveryQueue } from '../src/webhooks/job-webhooks.js';
import { webhookEventId, type WebhookPayload } from '../src/webhooks/webhook-events.js';
import { WebhookFanout } from '../src/webhooks/webhook-fanout.js';
import { WebhookStore } from '../src/webhooks/webhook-store.js';

const JOBS = Number(process.env.BENCH_WEBHOOK_JOBS ?? 100);
const EVENTS = Number(process.env.BENCH_WEBHOOK_EVENTS ?? 1000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 50);
const WARMUP = 2;

const run = await startBenchRun('webhooks', { WEBHOOK_ALLOW_PRIVATE: 'true' });
const { config, admin, closers, cleanup } = run;

/** A receiver on 127.0.0.1 that verifies each delivery and tells `onEvent` when it has all of it. */
async function startReceiver(secret: () => string, onEvent: (payload: WebhookPayload, at: number) => void) {
  let rejected = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const at = Date.now();
      const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)]));
      try {
        onEvent(new Webhook(secret()).verify(Buffer.concat(chunks), headers) as WebhookPayload, at);
        res.writeHead(204).end();
      } catch {
        rejected++;
        res.writeHead(400).end();
      }
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  closers.push(() => new Promise((resolve) => server.close(resolve)));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, rejected: () => rejected };
}

const summary = (values: number[]) =>
  [50, 99].map((p) => percentile(values, p)).concat(Math.min(...values), Math.max(...values));
const row = (label: string, values: number[]) =>
  console.log(
    `  ${label.padEnd(52)} ${summary(values)
      .map((v) => v.toFixed(1).padStart(8))
      .join('')}  ms`,
  );

try {
  const { base, backend } = await listenApi(run);
  const post = async <T>(url: string, body: unknown) => {
    const response = await fetch(`${base}${url}`, {
      method: 'POST',
      headers: { ...run.headers, 'content-type': typeof body === 'string' ? 'text/csv' : 'application/json' },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
    if (response.status !== 201) throw new Error(`POST ${url}: ${response.status} ${await response.text()}`);
    return (await response.json()) as T;
  };

  const waiting = new Map<string, (at: number) => void>();
  const arrived = (key: string) => new Promise<number>((resolve) => waiting.set(key, resolve));
  let secret = '';
  const receiver = await startReceiver(
    () => secret,
    (payload, at) => {
      const data = payload.data as { id: string };
      const key = payload.type === 'job.succeeded' ? data.id : `event:${data.id}`;
      // For a job: how long after it ended (the event's timestamp); for a bare event, when it came.
      waiting.get(key)?.(payload.type === 'job.succeeded' ? at - Date.parse(payload.timestamp) : at);
      waiting.delete(key);
    },
  );
  const endpoint = await post<{ id: string; secret: string }>('/v1/webhooks', {
    url: receiver.url,
    events: ['job.succeeded', 'model.created'],
  });
  secret = endpoint.secret;

  const cpus = os.cpus();
  const redisVersion = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1] ?? '?';
  console.log(`BENCH_WEBHOOK_JOBS=${JOBS} BENCH_WEBHOOK_EVENTS=${EVENTS} BENCH_CONCURRENCY=${CONCURRENCY}`);
  console.log(
    `machine: ${cpus.length} × ${cpus[0]?.model.trim() ?? 'unknown cpu'}, Node ${process.version}, Redis ${redisVersion} at ${describeRedis(config)}, TF.js backend ${backend.name}`,
  );

  // 1. Real jobs, one at a time: job end → delivery.
  const dataset = await post<{ id: string }>('/v1/datasets?name=bench-digits', tinyDigitsCsv());
  await startWorkerProcess(run, base);
  const afterEnd: number[] = [];
  for (let i = 0; i < WARMUP + JOBS; i++) {
    const job = await post<{ id: string }>('/v1/jobs', {
      dataset: dataset.id,
      validation: { split: 0 },
      architecture: { type: 'mlp', hiddenUnits: [8] },
      hyperparameters: { epochs: 1, batchSize: 32 },
      seed: i,
    });
    const latency = await Promise.race([
      arrived(job.id),
      sleep(120_000, undefined, { ref: false }).then(() =>
        Promise.reject(new Error(`no job.succeeded for ${job.id} in 120 s`)),
      ),
    ]);
    if (i >= WARMUP) afterEnd.push(latency);
  }

  // 2. Events enqueued as fast as a process announces them, CONCURRENCY at a time: enqueue → receipt.
  const connection = createRedis(config, 'producer');
  closers.push(async () => connection.disconnect());
  if (connection.status !== 'ready') await once(connection, 'ready');
  const queue = deliveryQueue(config, connection);
  closers.push(() => queue.close());
  const fanout = new WebhookFanout(new WebhookStore(connection, config.QUEUE_PREFIX), queue);
  const underLoad: number[] = [];
  let next = 0;
  const loadStarted = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const id = `bench-${next++}`;
        const came = arrived(`event:${id}`);
        const sent = Date.now();
        const event = { id: webhookEventId('bench', id), type: 'model.created' as const };
        await fanout.publish('default', { ...event, timestamp: new Date().toISOString() }, async () => ({
          id,
        }));
        underLoad.push((await came) - sent);
      }
    }),
  );
  const loadSeconds = (performance.now() - loadStarted) / 1000;

  console.log(`\n${''.padEnd(54)} ${['p50', 'p99', 'min', 'max'].map((h) => h.padStart(8)).join('')}`);
  console.log(`job end → job.succeeded received, ${JOBS} jobs one at a time (after ${WARMUP} warm-up):`);
  row('delivery latency', afterEnd);
  console.log(`${EVENTS} events, ${CONCURRENCY} in flight, ${config.WEBHOOK_CONCURRENCY} sent at once:`);
  row('enqueue → received', underLoad);
  console.log(
    `  ${(EVENTS / loadSeconds).toFixed(0)} deliveries/s; ${receiver.rejected()} failed verification`,
  );
} finally {
  await cleanup();
}
