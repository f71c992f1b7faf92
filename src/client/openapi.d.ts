// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { paths as AliasesPaths } from './openapi/aliases.js';
import type { paths as BasesPaths } from './openapi/bases.js';
import type { paths as DatasetsPaths } from './openapi/datasets.js';
import type { paths as DatasetsSamplesPaths } from './openapi/datasets-samples.js';
import type { paths as JobsPaths } from './openapi/jobs.js';
import type { paths as JobsCancelPaths } from './openapi/jobs-cancel.js';
import type { paths as JobsCheckpointsPaths } from './openapi/jobs-checkpoints.js';
import type { paths as JobsEventsPaths } from './openapi/jobs-events.js';
import type { paths as JobsPausePaths } from './openapi/jobs-pause.js';
import type { paths as JobsResumePaths } from './openapi/jobs-resume.js';
import type { paths as ModelsPaths } from './openapi/models.js';
import type { paths as ModelsImportPaths } from './openapi/models-import.js';
import type { paths as ModelsPredictPaths } from './openapi/models-predict.js';
import type { paths as ServicePaths } from './openapi/service.js';
import type { paths as SweepsPaths } from './openapi/sweeps.js';
import type { paths as SweepsCancelPaths } from './openapi/sweeps-cancel.js';
import type { paths as SweepsEventsPaths } from './openapi/sweeps-events.js';
import type { paths as WebhooksPaths } from './openapi/webhooks.js';
import type { paths as WebhooksDeliveriesPaths } from './openapi/webhooks-deliveries.js';
import type { paths as WebhooksRedeliverPaths } from './openapi/webhooks-redeliver.js';
import type { paths as WebhooksRotateSecretPaths } from './openapi/webhooks-rotate-secret.js';
import type { paths as WorkersPaths } from './openapi/workers.js';

export type { components } from './openapi/components.js';

/** Every route of the API: each resource's paths, joined. */
export type paths = AliasesPaths &
  BasesPaths &
  DatasetsPaths &
  DatasetsSamplesPaths &
  JobsPaths &
  JobsCancelPaths &
  JobsCheckpointsPaths &
  JobsEventsPaths &
  JobsPausePaths &
  JobsResumePaths &
  ModelsPaths &
  ModelsImportPaths &
  ModelsPredictPaths &
  ServicePaths &
  SweepsPaths &
  SweepsCancelPaths &
  SweepsEventsPaths &
  WebhooksPaths &
  WebhooksDeliveriesPaths &
  WebhooksRedeliverPaths &
  WebhooksRotateSecretPaths &
  WorkersPaths;
