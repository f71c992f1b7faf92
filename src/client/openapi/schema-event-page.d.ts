// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type EventPage = {
  items: components['schemas']['Event'][];
  /** @description This page holds the terminal event, or there is nothing after it */
  ended: boolean;
};
