// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/jobs/{id}/checkpoints': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The running job's checkpoints, oldest first
     * @description Kept while the job runs (the newest CHECKPOINT_KEEP); deleted when it ends. Needs the scope `jobs:read`.
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
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              items: {
                /** @description Sorts in the order the checkpoints were taken */
                id: string;
                /** @description Epochs finished (both phases) */
                epoch: number;
                /** @enum {unknown} */
                phase: 'head' | 'fine-tune';
                /** @description Batches finished of the next epoch: 0 at an epoch boundary, more when a worker stopped mid-epoch */
                batch: number;
                attempt: number;
                sizeBytes: number;
                /** Format: date-time */
                createdAt: string;
              }[];
            };
          };
        };
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
