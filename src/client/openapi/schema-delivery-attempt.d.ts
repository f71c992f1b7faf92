// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type DeliveryAttempt = {
  /** @description The delivery (one event to this endpoint); send it again by this id */
  deliveryId: string;
  /** @description The `webhook-id` header, the same on every attempt */
  eventId: string;
  /** @enum {unknown} */
  eventType:
    | 'job.running'
    | 'job.paused'
    | 'job.succeeded'
    | 'job.failed'
    | 'job.cancelled'
    | 'model.created'
    | 'sweep.succeeded'
    | 'sweep.failed'
    | 'sweep.cancelled';
  attempt: number;
  /**
   * @description delivered: a 2xx; failed: anything else; refused: the URL is not allowed, never retried
   * @enum {unknown}
   */
  outcome: 'delivered' | 'failed' | 'refused';
  statusCode: number | null;
  /** @description From sending the request to its response (or the failure) */
  latencyMs: number;
  error: string | null;
  /** @description Another attempt follows (after a backoff) */
  retrying: boolean;
  /** Format: date-time */
  at: string;
};
