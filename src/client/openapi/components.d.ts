// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.

import type { Problem } from './schema-problem.js';
import type { Column } from './schema-column.js';
import type { Dataset } from './schema-dataset.js';
import type { EpochRow } from './schema-epoch-row.js';
import type { Model } from './schema-model.js';
import type { Alias } from './schema-alias.js';
import type { CatalogueBase } from './schema-catalogue-base.js';
import type { JobRequest } from './schema-job-request.js';
import type { Job } from './schema-job.js';
import type { Event } from './schema-event.js';
import type { EventPage } from './schema-event-page.js';
import type { SweepRequest } from './schema-sweep-request.js';
import type { Trial } from './schema-trial.js';
import type { Sweep } from './schema-sweep.js';
import type { Worker } from './schema-worker.js';
import type { Webhook } from './schema-webhook.js';
import type { WebhookWithSecret } from './schema-webhook-with-secret.js';
import type { DeliveryAttempt } from './schema-delivery-attempt.js';

export interface components {
  schemas: {
    /** Problem */
    Problem: Problem;
    /** Column */
    Column: Column;
    /** Dataset */
    Dataset: Dataset;
    /** EpochRow */
    EpochRow: EpochRow;
    /** Model */
    Model: Model;
    /** Alias */
    Alias: Alias;
    /** CatalogueBase */
    CatalogueBase: CatalogueBase;
    /** JobRequest */
    JobRequest: JobRequest;
    /** Job */
    Job: Job;
    /** Event */
    Event: Event;
    /** EventPage */
    EventPage: EventPage;
    /** SweepRequest */
    SweepRequest: SweepRequest;
    /** Trial */
    Trial: Trial;
    /** Sweep */
    Sweep: Sweep;
    /** Worker */
    Worker: Worker;
    /** Webhook */
    Webhook: Webhook;
    /** WebhookWithSecret */
    WebhookWithSecret: WebhookWithSecret;
    /** DeliveryAttempt */
    DeliveryAttempt: DeliveryAttempt;
  };
  responses: {
    /** @description RFC 9457 problem details */
    Problem: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/problem+json': components['schemas']['Problem'];
      };
    };
    /** @description Default Response */
    Dataset: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Dataset'];
      };
    };
    /** @description Default Response */
    Model: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Model'];
      };
    };
    /** @description Default Response */
    Job: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Job'];
      };
    };
    /** @description Default Response */
    EventPage: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['EventPage'];
      };
    };
    /** @description Default Response */
    Sweep: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Sweep'];
      };
    };
    /** @description Default Response */
    WebhookWithSecret: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['WebhookWithSecret'];
      };
    };
    /** @description Default Response */
    Webhook: {
      headers: {
        [name: string]: unknown;
      };
      content: {
        'application/json': components['schemas']['Webhook'];
      };
    };
  };
  parameters: never;
  requestBodies: never;
  headers: never;
  pathItems: never;
}
