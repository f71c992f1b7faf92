import * as tf from '@tensorflow/tfjs';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
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

    const http = new Histogram({
      name: 'finetuned_http_request_duration_seconds',
      help: 'HTTP requests by route pattern, method and status code',
      labelNames: ['method', 'route', 'status_code'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers: [registry],
    });
    app.addHook('onResponse', async (request, reply) => {
      http.observe(
        {
          method: request.method,
          route: request.routeOptions.url ?? 'unmatched',
          status_code: String(reply.statusCode),
        },
        reply.elapsedTime / 1000,
      );
    });

    const predictSeconds = new Histogram({
      name: 'finetuned_predict_duration_seconds',
      help: 'Predictions from the request being checked to the scores being back, by outcome',
      labelNames: ['outcome'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });

    new Gauge({
      name: 'finetuned_queue_jobs',
      help: 'Training jobs in the queue by state',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        // Redis unreachable: the scrape goes on without these, rather than failing whole.
        const counts = await app.trainingQueue.getJobCounts(...QUEUE_STATES).catch(() => undefined);
        if (counts) for (const state of QUEUE_STATES) this.set({ state }, counts[state] ?? 0);
      },
    });

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

    const pool = () => app.predictor.pool.stats();
    const counter = (name: string, help: string, read: () => number) =>
      new Counter({
        name,
        help,
        registers: [registry],
        collect() {
          this.reset();
          this.inc(read());
        },
      });
    counter(
      'finetuned_predict_requests_total',
      'Prediction requests taken by the inference pool',
      () => pool().requests,
    );
    counter('finetuned_predict_instances_total', 'Instances predicted', () => pool().instances);
    counter(
      'finetuned_predict_batches_total',
      'model.predict calls the instances were batched into',
      () => pool().batches,
    );
    counter(
      'finetuned_predict_overloaded_total',
      'Predictions refused with 503 overloaded',
      () => pool().overloaded,
    );
    counter(
      'finetuned_model_cache_hits_total',
      'Batches whose model was loaded already',
      () => pool().cacheHits,
    );
    counter(
      'finetuned_model_cache_misses_total',
      'Batches that loaded their model',
      () => pool().cacheMisses,
    );
    const gauge = (name: string, help: string, read: () => number) =>
      new Gauge({
        name,
        help,
        registers: [registry],
        collect() {
          this.set(read());
        },
      });
    gauge(
      'finetuned_predict_pending_instances',
      'Instances waiting for a batch or being predicted',
      () => pool().pending,
    );
    gauge('finetuned_model_cache_models', 'Models loaded for predictions', () => pool().models);
    gauge(
      'finetuned_model_cache_bytes',
      'Stored size of the models loaded for predictions',
      () => pool().cachedBytes,
    );
    gauge('finetuned_inference_hosts', 'Inference hosts running', () => pool().hosts);

    // Both TF.js gauges read one sample per scrape, so each inference host is asked once, not once per gauge.
    type Memory = { numTensors: number; numBytes: number };
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

    app.decorate('metrics', { registry, predictSeconds });

    app.get('/metrics', { schema: { hide: true } }, async (_request, reply) =>
      reply.type(registry.contentType).send(await registry.metrics()),
    );
  },
  { name: 'metrics', dependencies: ['redis', 'services'] },
);
