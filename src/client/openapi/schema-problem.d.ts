// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Problem = {
  type: string;
  title: string;
  status: number;
  /** @description Stable machine-readable error code */
  code: string;
  detail: string;
  instance: string;
  requestId: string;
} & {
  [key: string]: unknown;
};
