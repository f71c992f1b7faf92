// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/jobs/{id}/events': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * The job's events: Server-Sent Events, or JSON pages
     * @description With `Accept: text/event-stream`: a live stream of the events after `Last-Event-ID` (or `after`), ending after the terminal status; keep-alive comments while idle. Otherwise: JSON, up to `limit` events after `after`. Needs the scope `jobs:read`.
     */
    get: {
      parameters: {
        query?: {
          after?: string;
          limit?: number;
        };
        header?: {
          'last-event-id'?: string;
        };
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        200: components['responses']['EventPage'];
        /** @description Event stream only: the job has ended and there is nothing after Last-Event-ID */
        204: {
          headers: {
            [name: string]: unknown;
          };
          content?: never;
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
