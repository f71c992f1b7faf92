// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { paths as AliasesPaths } from './openapi/aliases.js';
import type { paths as BasesPaths } from './openapi/bases.js';
import type { paths as DatasetsPaths } from './openapi/datasets.js';
import type { paths as JobsPaths } from './openapi/jobs.js';
import type { paths as ModelsPaths } from './openapi/models.js';
import type { paths as ServicePaths } from './openapi/service.js';
import type { paths as SweepsPaths } from './openapi/sweeps.js';
import type { paths as WebhooksPaths } from './openapi/webhooks.js';
import type { paths as WorkersPaths } from './openapi/workers.js';

export type { components } from './openapi/components.js';

/** Every route of the API: each resource's paths, joined. */
export type paths = AliasesPaths &
  BasesPaths &
  DatasetsPaths &
  JobsPaths &
  ModelsPaths &
  ServicePaths &
  SweepsPaths &
  WebhooksPaths &
  WorkersPaths;
