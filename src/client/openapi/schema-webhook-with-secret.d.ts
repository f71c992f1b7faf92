// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { components } from './components.js';

export type WebhookWithSecret = components['schemas']['Webhook'] & {
  /** @description `whsec_` and base64 of 32 random bytes: verify deliveries with it (Standard Webhooks). Shown only now */
  secret: string;
};
