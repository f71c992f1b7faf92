// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Trial = {
  /** @description 1-based */
  trial: number;
  jobId: string;
  /** @enum {unknown} */
  status: 'queued' | 'running' | 'retrying' | 'paused' | 'succeeded' | 'failed' | 'cancelled';
  /** @description The value of each setting the space varies */
  settings: {
    [key: string]: unknown;
  };
  value: number | null;
  /** @description Epochs run so far */
  epochs: number;
  stoppedEarly: {
    epoch: number;
    /** @description Its best metric up to that epoch */
    value: number;
    /** @description The median of the other trials' best at that epoch */
    median: number;
    /** @description Other trials that had reached it */
    trials: number;
  } | null;
  modelId: string | null;
};
