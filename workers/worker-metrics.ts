import http from 'node:http';
import * as tf from '@tensorflow/tfjs';
import type { Job, Worker } from 'bullmq';
import type { Logger } from 'pino';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import { CANCELLED_REASON, type TrainingPayload, type TrainingResultValue } from '../src/queue/catalogue.js';
import type { ActiveJob } from './train.processor.js';

/** How an attempt ended, as the worker saw it. */
function outcomeOf(job: Job<TrainingPayload>, failed: boolean): string {
  if (!failed) return 'succeeded';
  if (job.failedReason === CANCELLED_REASON) return 'cancelled';
  // BullMQ marks a job finished only on its last failure; before that it goes back to wait for a retry.
  return job.finishedOn ? 'failed' : 'retrying';
}

/**
 * A training worker's Prometheus metrics, served at `/metrics` on `port`: attempts by outcome and their duration,
 * the samples per second of the jobs running here, this process's TF.js memory, and Node's own metrics. `/health`
 * beside them answers 200, or 503 with the reason `unhealthy` gives, for container health checks.
 */
export async function serveWorkerMetrics(
  worker: Worker<TrainingPayload, TrainingResultValue>,
  active: Map<string, ActiveJob>,
  port: number,
  logger: Logger,
  unhealthy: () => string | undefined,
): Promise<http.Server> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  countAttempts(registry, worker);
  gaugeWorkload(registry, active);

  const server = http.createServer(handleRequest(registry, unhealthy));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, () => resolve());
  });
  logger.info({ port }, 'worker metrics at /metrics, health at /health');
  return server;
}

/** Counts the attempts that end on `worker` by outcome, and times them. */
function countAttempts(registry: Registry, worker: Worker<TrainingPayload, TrainingResultValue>): void {
  const duration = new Histogram({
    name: 'finetuned_job_duration_seconds',
    help: 'Training attempts from start to end, by outcome',
    labelNames: ['outcome'],
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200],
    registers: [registry],
  });
  const ended = new Counter({
    name: 'finetuned_jobs_total',
    help: 'Training attempts ended on this worker, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const record = (job: Job<TrainingPayload> | undefined, failed: boolean) => {
    if (!job) return;
    const outcome = outcomeOf(job, failed);
    ended.inc({ outcome });
    if (job.processedOn)
      duration.observe({ outcome }, ((job.finishedOn ?? Date.now()) - job.processedOn) / 1000);
  };
  worker.on('completed', (job) => record(job, false));
  worker.on('failed', (job) => record(job, true));
}

/** Gauges read at each scrape: the running jobs, their throughput, and this process's TF.js tensors. */
function gaugeWorkload(registry: Registry, active: Map<string, ActiveJob>): void {
  new Gauge({
    name: 'finetuned_training_samples_per_second',
    help: 'Training throughput of the jobs running on this worker',
    registers: [registry],
    collect() {
      this.set([...active.values()].reduce((n, job) => n + (job.samplesPerSecond ?? 0), 0));
    },
  });
  new Gauge({
    name: 'finetuned_worker_active_jobs',
    help: 'Jobs running on this worker',
    registers: [registry],
    collect() {
      this.set(active.size);
    },
  });
  new Gauge({
    name: 'finetuned_tfjs_tensors',
    help: 'TF.js tensors held by the worker process (training runs in processes of their own)',
    labelNames: ['process'],
    registers: [registry],
    collect() {
      this.set({ process: 'worker' }, tf.memory().numTensors);
    },
  });
}

/** Answers `/health` and `/metrics`; anything else is not found. */
function handleRequest(registry: Registry, unhealthy: () => string | undefined): http.RequestListener {
  return (request, response) => {
    if (request.url === '/health') {
      const problem = unhealthy();
      response
        .writeHead(problem ? 503 : 200, { 'content-type': 'application/json' })
        .end(JSON.stringify(problem ? { status: 'unhealthy', reason: problem } : { status: 'ok' }));
      return;
    }
    if (request.url !== '/metrics') {
      response.writeHead(404).end();
      return;
    }
    registry.metrics().then(
      (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
      () => response.writeHead(500).end(),
    );
  };
}
