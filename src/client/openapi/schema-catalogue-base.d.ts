// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type CatalogueBase = {
  id: string;
  name: string;
  /** @description Where its model.json is fetched from: where it is published, or under BASE_MIRROR_URL when set */
  url: string;
  /** @enum {unknown} */
  format: 'layers-model' | 'graph-model';
  /** @description One image, without the batch dimension */
  inputShape: number[];
  /** @description Each input value v (pixels 0..255) becomes v × scale + offset; x/127.5 - 1 is {scale: 1/127.5, offset: -1} */
  preprocessing: {
    scale: number;
    offset: number;
  };
  /** @description Where a transfer job cuts it unless told otherwise; null for a GraphModel, whose output is the features */
  defaultCutLayer: string | null;
  /** @description SPDX identifier of the weights’ licence */
  licence: string;
  /** @description Where the base is documented */
  docs: string;
};
