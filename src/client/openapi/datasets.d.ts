// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
  '/v1/datasets': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /**
     * List datasets, newest first
     * @description Needs the scope `datasets:read`.
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
              items: components['schemas']['Dataset'][];
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
     * Upload a dataset (CSV, NDJSON, JSON, ZIP or TAR)
     * @description Tabular formats are sent whole, up to DATASET_MAX_BYTES; image archives (zip, tar, tar.gz) as a stream, up to DATASET_ARCHIVE_MAX_BYTES, one folder per class. Needs the scope `datasets:write`.
     */
    post: {
      parameters: {
        query?: {
          name?: string;
          labelColumn?: string;
          /** @description CSV: encode the columns as this dataset's are (a validation or test set of the same columns, becoming the same features) */
          columnsFrom?: string;
          /** @description CSV: the kind of some columns, name:numeric or name:categorical, comma-separated; the others are detected (numbers: numeric, text: categorical) */
          columns?: string;
          /** @description WxH: every image resized to it (see fit); default: the images kept at their size, which they must then share */
          size?: string;
          /** @description 1: grayscale, 3: RGB; default: 1 when every image is grayscale, else 3 */
          channels?: 1 | 3;
          /** @description With size: cover (default) crops to fill it, keeping the centre; contain fits inside it, padded with black */
          fit?: 'cover' | 'contain';
        };
        header?: never;
        path?: never;
        cookie?: never;
      };
      requestBody: {
        content: {
          'text/csv': string;
          'application/x-ndjson': string;
          'application/json': string;
          'application/zip': string;
          'application/x-zip-compressed': string;
          'application/x-tar': string;
          'application/gzip': string;
          'application/x-gzip': string;
          'application/x-gtar': string;
        };
      };
      responses: {
        201: components['responses']['Dataset'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        413: components['responses']['Problem'];
        415: components['responses']['Problem'];
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
  '/v1/datasets/{id}': {
    parameters: {
      query?: never;
      header?: never;
      path?: never;
      cookie?: never;
    };
    /** @description Needs the scope `datasets:read`. */
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
        200: components['responses']['Dataset'];
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
    /** @description Needs the scope `datasets:write`. */
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
        409: components['responses']['Problem'];
        429: components['responses']['Problem'];
        503: components['responses']['Problem'];
      };
    };
    options?: never;
    head?: never;
    patch?: never;
    trace?: never;
  };
}
