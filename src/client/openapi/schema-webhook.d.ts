// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Webhook = {
  id: string;
  url: string;
  /** @description The event types it receives */
  events: (
    | 'job.running'
    | 'job.paused'
    | 'job.succeeded'
    | 'job.failed'
    | 'job.cancelled'
    | 'model.created'
    | 'sweep.succeeded'
    | 'sweep.failed'
    | 'sweep.cancelled'
  )[];
  description: string;
  /** @description A disabled endpoint gets nothing, not even deliveries queued before */
  enabled: boolean;
  /** Format: date-time */
  createdAt: string;
  /** Format: date-time */
  updatedAt: string;
};
