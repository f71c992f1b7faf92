// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/models/{idOrAlias}/predict': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Predict with a model, named by its id or by an alias
     * @description Rows as JSON `instances`; or images, for a model whose input is [height, width, 1 or 3]: base64 in JSON `images`, files in multipart/form-data (fields topK, fit), or one raw image/* body (query topK, fit). Needs the scope `predict`.
     */
    post: {
      parameters: {
        query?: {
          topK?: number;
          /** @description How an image is fitted to the model input: cropped to cover it, or letterboxed inside it */
          fit?: 'cover' | 'contain';
        };
        header?: never;
        path: {
          /** @description A model id, or the name of an alias pointing to one */
          idOrAlias: string;
        };
        cookie?: never;
      };
      requestBody: {
        content: {
          'application/json': {
            /** @description Raw feature rows, flat or in the input shape */
            instances?: unknown[];
            /** @description Image files (JPEG, PNG, WebP, GIF, TIFF, AVIF), base64, for an image model */
            images?: string[];
            /** @default 3 */
            topK?: number;
            /**
             * @description How an image is fitted to the model input: cropped to cover it, or letterboxed inside it
             * @default cover
             * @enum {unknown}
             */
            fit?: 'cover' | 'contain';
          };
        };
      };
      responses: {
        /** @description Default Response */
        200: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': {
              modelId: string;
              predictions: (
                | {
                    label: string;
                    score: number;
                    top: {
                      label: string;
                      score: number;
                    }[];
                  }
                | {
                    value: number;
                  }
              )[];
            };
          };
        };
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        404: components['responses']['Problem'];
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
}
