// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export interface paths {
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
        201: components['responses']['Model'];
        400: components['responses']['Problem'];
        401: components['responses']['Problem'];
        403: components['responses']['Problem'];
        413: components['responses']['Problem'];
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
