// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

export type Alias = {
  name: string;
  modelId: string;
  /** Format: date-time */
  createdAt: string;
  /** Format: date-time */
  updatedAt: string;
};
