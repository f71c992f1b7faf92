// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/models': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List models, newest first
     * @description Needs the scope `models:read`.
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
              items: components['schemas']['Model'][];
              nextCursor: string | null;
            };
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    /**
     * Upload a TF.js LayersModel or GraphModel (multipart: model.json and its weight files; optional fields name, labels). A model downloaded from here keeps its labels and preprocessing.
     * @description Needs the scope `models:write`.
     */
    post: {
      parameters: {
        query?: never;
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody?: never;
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Model'];
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        406: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/import': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    get?: never;
    put?: never;
    /**
     * Import a TF.js LayersModel or GraphModel from a URL (TF Hub and Kaggle model pages included), or a catalogue base
     * @description Needs the scope `models:write`.
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
            /** @description A TF.js model.json (LayersModel or GraphModel), its weight files beside it; a TF Hub or Kaggle model page's URL works as TF.js's fromTFHub takes it */
            url?: string;
            /**
             * @description A catalogue base (GET /v1/bases), instead of `url`
             * @enum {unknown}
             */
            base?:
              | 'mobilenet-v1-0.25-224'
              | 'mobilenet-v1-0.50-224'
              | 'mobilenet-v1-0.75-224'
              | 'mobilenet-v1-1.00-224'
              | 'mobilenet-v2-0.35-224-no-top'
              | 'mobilenet-v2-0.50-224-no-top'
              | 'mobilenet-v2-0.75-224-no-top'
              | 'mobilenet-v2-1.00-224-no-top'
              | 'mobilenet-v3-small-100-224-features'
              | 'mobilenet-v3-large-100-224-features'
              | 'efficientnet-lite0-features';
            /** @description SHA-256 of model.json followed by each weight file in manifest order (`cat model.json shard1 shard2 | sha256sum`): the import is refused (422) unless the files fetched have it */
            sha256?: string;
            /** @description The base's pixel scaling, recorded with it and applied wherever it predicts or trains: each value v (0..255) becomes v × scale + offset. A catalogue base has its own. */
            preprocessing?: {
              scale: number;
              offset: number;
            };
            name?: string;
            /** @description Class labels in output order */
            labels?: string[];
          };
        };
      };
      responses: {
        /** @description Default Response */
        201: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/json': components['schemas']['Model'];
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * A model, named by its id or by an alias
     * @description Needs the scope `models:read`.
     */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A model id, or the name of an alias pointing to one */
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
            'application/json': components['schemas']['Model'];
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    put?: never;
    post?: never;
    /** @description Needs the scope `models:write`. */
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
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        409: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
  '/v1/models/{id}/{file}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `models:read`. */
    get: {
      parameters: {
        query?: never;
        header?: never;
        path: {
          /** @description A model id, or the name of an alias pointing to one */
          id: string;
          file: string;
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
            'application/json': string;
          };
        };
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
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
        /** @description RFC 9457 problem details */
        400: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        401: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        403: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        404: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        413: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        415: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        422: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        429: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
        /** @description RFC 9457 problem details */
        503: {
          headers: {
            [name: string]: unknown;
          };
          content: {
            'application/problem+json': components['schemas']['Problem'];
          };
        };
      };
    };
    delete?: never;
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
