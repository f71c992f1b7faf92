// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/datasets/{id}/samples': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A few images of each class of an image dataset, as PNG data URLs
     * @description Needs the scope `datasets:read`.
     */
    get: {
      parameters: {
        query?: {
          /** @description Only this class */
          label?: string;
          /** @description Images per class */
          limit?: number;
        };
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
              datasetId: string;
              /** @description [H, W, C] of every image */
              featureShape: number[];
              /** @description By label in label order, each label's first images; at most 256 in all */
              samples: {
                label: string;
                /** @description The image's row in the dataset, 0-based, in archive order */
                index: number;
                /** @description The image as stored, as a data URL: data:image/png;base64,… */
                png: string;
              }[];
            };
          };
        };
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        404: components['responses']['Problem'];
        422: components['responses']['Problem'];
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
