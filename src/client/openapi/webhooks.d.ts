// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/webhooks': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List webhook endpoints, oldest first
     * @description Needs the scope `webhooks:read`.
     */
    get: {
      parameters: {
        query?: never;
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
              items: components['schemas']['Webhook'][];
            };
          };
        };
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        429: components['responses']['Problem'];
        503: components['responses']['Problem'];
      };
    };
    put?: never;
    /**
     * Register a webhook endpoint; the answer holds its signing secret, shown only this once
     * @description Needs the scope `webhooks:write`.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Absolute http or https URL, without credentials; private addresses only with WEBHOOK_ALLOW_PRIVATE */
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
            description?: string;
          };
        };
      };
      responses: {
        201: components['responses']['WebhookWithSecret'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        409: components['responses']['Problem'];
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
  '/v1/webhooks/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `webhooks:read`. */
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
        200: components['responses']['Webhook'];
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
    /** @description Needs the scope `webhooks:write`. */
    delete: {
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
    options?: never;
    head?: never;
    /**
     * Change an endpoint: its url, events, description, or whether it is enabled
     * @description Needs the scope `webhooks:write`.
     */
    patch: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          id: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Absolute http or https URL, without credentials; private addresses only with WEBHOOK_ALLOW_PRIVATE */
            url?: string;
            /** @description The event types it receives */
            events?: (
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
            description?: string;
            enabled?: boolean;
          };
        };
      };
      responses: {
        200: components['responses']['Webhook'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        404: components['responses']['Problem'];
        422: components['responses']['Problem'];
        429: components['responses']['Problem'];
        503: components['responses']['Problem'];
      };
    };
    trace?: never;
  };
}
