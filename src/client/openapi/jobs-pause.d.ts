// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/jobs/{id}/pause': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Pause a job
     * @description A queued job is held at once (200, `paused`). A running one checkpoints at its next batch, then becomes `paused` and frees its worker slot (202, `pauseRequested`). A paused job survives restarts of every process and can be cancelled. Pausing a paused job again is fine; a finished job, or one being cancelled, is 409. Needs the scope `jobs:write`.
     */
    post: {
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
        200: components['responses']['Job'];
        202: components['responses']['Job'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        404: components['responses']['Problem'];
        409: components['responses']['Problem'];
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
}
