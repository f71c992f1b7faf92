// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Worker = {
  id: string;
  host: string;
  pid: number;
  backend: string;
  device: string;
  concurrency: number;
  /** @description The jobs it is running now */
  jobs: {
    id: string;
    samplesPerSecond: number | null;
  }[];
  /** @description Training throughput of its running jobs at the last heartbeat */
  samplesPerSecond: number | null;
  /** @description Stopping: it takes no new jobs */
  draining: boolean;
  /** Format: date-time */
  startedAt: string;
  /** Format: date-time */
  lastHeartbeat: string;
};
