import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import type { PoolStats } from '../inference/inference-pool.js';
import { cancelledCount } from '../jobs/cancelled-jobs.js';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

declare module 'fastify' {
  interface FastifyInstance {
    metrics: ApiMetrics;
  }
}

/** What routes record directly; everything else is read from the services when Prometheus scrapes. */
export interface ApiMetrics {
  registry: Registry;
  predictSeconds: Histogram<'outcome'>;
}

const QUEUE_STATES = [
  'waiting',
  'prioritized',
  'delayed',
  'active',
  'completed',
  'failed',
  'paused',
] as const;

/** HTTP latency by route pattern, method and status, observed as each response ends. */
function registerHttpMetrics(app: FastifyInstance, registry: Registry): void {
  const http = new Histogram({
    name: 'finetuned_http_request_duration_seconds',
    help: 'HTTP requests by route pattern, method and status code',
    labelNames: ['method', 'route', 'status_code'],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  app.addHook('onResponse', (request, reply, done) => {
    http.observe(
      {
        method: request.method,
        route: request.routeOptions.url ?? 'unmatched',
        status_code: String(reply.statusCode),
      },
      reply.elapsedTime / 1000,
    );
    done();
  });
}

/** Training jobs by state, read from the queue and the cancelled records at each scrape. */
function registerQueueMetrics(app: FastifyInstance, registry: Registry): void {
  new Gauge({
    name: 'finetuned_queue_jobs',
    help: 'Training jobs by state: in the queue, and cancelled',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      // Redis unreachable: the scrape goes on without these, rather than failing whole.
      const counts = await app.trainingQueue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
      if (counts) for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      // Cancelled jobs leave the queue (a cancel is no failure) for records of their own.
      const cancelled = await cancelledCount(app.redis, app.config.QUEUE_PREFIX).catch(() => undefined);
      if (cancelled !== undefined) this.set({ state: 'cancelled' }, cancelled);
    },
  });
}

/** Training throughput of each live worker, from the worker registry's heartbeats. */
function registerWorkerMetrics(app: FastifyInstance, registry: Registry): void {
  new Gauge({
    name: 'finetuned_training_samples_per_second',
    help: 'Training throughput of each live worker, from its heartbeats',
    labelNames: ['worker'],
    registers: [registry],
    async collect() {
      this.reset();
      for (const worker of await app.workerRegistry.list().catch(() => []))
        this.set({ worker: worker.id }, worker.samplesPerSecond ?? 0);
    },
  });
}

/** A counter that reads a running total at each scrape. */
function totalCounter(registry: Registry, name: string, help: string, read: () => number): void {
  new Counter({
    name,
    help,
    registers: [registry],
    collect() {
      this.reset();
      this.inc(read());
    },
  });
}

/** A gauge that reads its value at each scrape. */
function readGauge(registry: Registry, name: string, help: string, read: () => number): void {
  new Gauge({
    name,
    help,
    registers: [registry],
    collect() {
      this.set(read());
    },
  });
}

/** The inference pool's counters, each a running total of one of its stats. */
const POOL_COUNTERS: Array<[name: string, help: string, stat: keyof PoolStats]> = [
  ['finetuned_predict_requests_total', 'Prediction requests taken by the inference pool', 'requests'],
  ['finetuned_predict_instances_total', 'Instances predicted', 'instances'],
  ['finetuned_predict_batches_total', 'model.predict calls the instances were batched into', 'batches'],
  ['finetuned_predict_overloaded_total', 'Predictions refused with 503 overloaded', 'overloaded'],
  ['finetuned_model_cache_hits_total', 'Batches whose model was loaded already', 'cacheHits'],
  ['finetuned_model_cache_misses_total', 'Batches that loaded their model', 'cacheMisses'],
];

/** The inference pool's gauges, each the present value of one of its stats. */
const POOL_GAUGES: Array<[name: string, help: string, stat: keyof PoolStats]> = [
  ['finetuned_predict_pending_instances', 'Instances waiting for a batch or being predicted', 'pending'],
  ['finetuned_model_cache_models', 'Models loaded for predictions', 'models'],
  ['finetuned_model_cache_bytes', 'Stored size of the models loaded for predictions', 'cachedBytes'],
  ['finetuned_inference_hosts', 'Inference hosts running', 'hosts'],
];

/** Prediction batching and the model cache, from the inference pool's stats at each scrape. */
function registerPoolMetrics(app: FastifyInstance, registry: Registry): void {
  const stats = () => app.predictor.pool.stats();
  for (const [name, help, stat] of POOL_COUNTERS) totalCounter(registry, name, help, () => stats()[stat]);
  for (const [name, help, stat] of POOL_GAUGES) readGauge(registry, name, help, () => stats()[stat]);
}

type Memory = { numTensors: number; numBytes: number };

/** TF.js memory of this process and of each inference host, by process. */
function registerTfjsMetrics(app: FastifyInstance, registry: Registry): void {
  // Both TF.js gauges read one sample per scrape, so each inference host is asked once, not once per gauge.
  let sample: { at: number; byProcess: Promise<Array<[string, Memory]>> } | undefined;
  const memoryByProcess = () => {
    if (!sample || Date.now() - sample.at > 1_000) {
      const api: [string, Memory] = ['api', tf.memory()];
      sample = {
        at: Date.now(),
        byProcess: app.predictor.pool.hostStats().then(
          (hosts) => [api, ...hosts.map((host, i): [string, Memory] => [`inference-${i}`, host])],
          () => [api],
        ),
      };
    }
    return sample.byProcess;
  };
  const tfGauge = (name: string, help: string, pick: (memory: Memory) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['process'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const [owner, memory] of await memoryByProcess()) this.set({ process: owner }, pick(memory));
      },
    });
  tfGauge('finetuned_tfjs_tensors', 'TF.js tensors held, by process', (memory) => memory.numTensors);
  tfGauge('finetuned_tfjs_bytes', 'Bytes of TF.js tensors held, by process', (memory) => memory.numBytes);
}

/**
 * Prometheus metrics of this API process at /metrics: HTTP latency by route and status, queue depth by state,
 * training throughput of the live workers, prediction latency and batching, the model cache, TF.js memory of this
 * process and of each inference host, and Node's own (event loop delay, heap, CPU). Workers expose their job
 * durations and outcomes on their own /metrics (WORKER_METRICS_PORT).
 */
export default fp(
  async function metricsPlugin(app: FastifyInstance) {
    const registry = new Registry();
    collectDefaultMetrics({ register: registry, eventLoopMonitoringPrecision: 10 });
    registerHttpMetrics(app, registry);
    // The predictor times its predictions; the histogram is its own, exposed here.
    const { predictSeconds } = app.predictor;
    registry.registerMetric(predictSeconds);
    registerQueueMetrics(app, registry);
    registerWorkerMetrics(app, registry);
    registerPoolMetrics(app, registry);
    registerTfjsMetrics(app, registry);

    app.decorate('metrics', { registry, predictSeconds });

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'metrics', dependencies: ['redis', 'services'] },
);
