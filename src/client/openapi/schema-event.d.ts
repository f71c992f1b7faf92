// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Event = {
  /** @description Orders events; pass it as `after` or Last-Event-ID to read on from it */
  id: string;
  /** @enum {unknown} */
  type: 'status' | 'epoch' | 'progress' | 'log' | 'checkpoint' | 'trial';
  /** Format: date-time */
  at: string;
  /** @description status: {status, attempt?, message?, modelId?, error?}; epoch: an epoch row; progress: {phase, epoch, epochs, batch, batches, fraction, samplesPerSecond, etaSeconds}; log: {level, message}; checkpoint: a checkpoint; trial (a sweep's log): {trial, jobId, status, value?, stoppedEarly?} */
  data: {
    [key: string]: unknown;
  };
};
