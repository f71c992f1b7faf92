import { Counter, Histogram, type Metric } from 'prom-client';
import type { DeliveryAttempt } from './webhook-store.js';

/** What the delivery worker records of each attempt; registered with the process's /metrics. */
export interface WebhookMetrics {
  attempts: Counter<'outcome'>;
  attemptSeconds: Histogram<'outcome'>;
  /** From the event to its delivery: what a receiver waits after a job ends. */
  lagSeconds: Histogram;
  all: Metric[];
}

/** The metrics of webhook deliveries, in no registry yet. */
export function webhookMetrics(): WebhookMetrics {
  const attempts = new Counter({
    name: 'finetuned_webhook_attempts_total',
    help: 'Webhook delivery attempts by outcome: delivered (2xx), failed (retried while the span lasts), refused',
    labelNames: ['outcome'],
    registers: [],
  });
  const attemptSeconds = new Histogram({
    name: 'finetuned_webhook_attempt_duration_seconds',
    help: 'How long each webhook delivery attempt took, by outcome',
    labelNames: ['outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [],
  });
  const lagSeconds = new Histogram({
    name: 'finetuned_webhook_delivery_lag_seconds',
    help: 'From an event (a job ending, say) to its delivery being answered with a 2xx, retries included',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 60, 600, 3600, 86400],
    registers: [],
  });
  return { attempts, attemptSeconds, lagSeconds, all: [attempts, attemptSeconds, lagSeconds] };
}

/** Records one attempt; `eventAt` is the event's timestamp, for the lag of a delivered one. */
export function recordAttemptMetrics(
  metrics: WebhookMetrics,
  attempt: DeliveryAttempt,
  eventAt: string,
): void {
  const { outcome } = attempt;
  metrics.attempts.inc({ outcome });
  metrics.attemptSeconds.observe({ outcome }, attempt.latencyMs / 1000);
  if (outcome === 'delivered')
    metrics.lagSeconds.observe(Math.max(0, Date.now() - Date.parse(eventAt)) / 1000);
}
