// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/sweeps': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List sweeps, newest first
     * @description Needs the scope `jobs:read`.
     */
    get: {
      parameters: {
        query?: {
          limit?: number;
          /** @description nextCursor of the previous page */
          cursor?: string;
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: components['schemas']['Sweep'][];
              nextCursor: string | null;
            };
          };
        };
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        429: components['responses']['Problem'];
        503: components['responses']['Problem'];
      };
    };
    put?: never;
    /**
     * Start a hyperparameter sweep
     * @description Checks every trial as a job submission would (a 4xx names the space entry or job field a trial fails on), then queues the sweep: one training job per trial, `parallel` of them running at once, each watched and cancelled as any job. Trials count against the tenant’s active jobs from now on. Needs the scope `jobs:write`.
     */
    post: {
      parameters: {
        query?: never;
        header?: {
          /** @description Makes retries safe: the same key and body give the same job or sweep (for 24 h by default) */
          'idempotency-key'?: string;
        };
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': components['schemas']['SweepRequest'];
        };
      };
      responses: {
        200: components['responses']['Sweep'];
        201: components['responses']['Sweep'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        404: components['responses']['Problem'];
        409: components['responses']['Problem'];
        413: components['responses']['Problem'];
        415: components['responses']['Problem'];
        422: components['responses']['Problem'];
        429: components['responses']['Problem'];
        503: components['responses']['Problem'];
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/sweeps/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A sweep: its trials, their settings and metric, and the best so far
     * @description Needs the scope `jobs:read`.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: components['responses']['Sweep'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        404: components['responses']['Problem'];
        429: components['responses']['Problem'];
        503: components['responses']['Problem'];
      };
    };
    put?: never;
    post?: never;
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
