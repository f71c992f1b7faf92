/** Named types of the API's resources, taken from the OpenAPI document's types (openapi.d.ts). */
import type { paths } from './openapi.js';

type JsonOf<T> = T extends { content: { 'application/json': infer Body } } ? Body : never;

export type Dataset = JsonOf<paths['/v1/datasets/{id}']['get']['responses'][200]>;
export type Job = JsonOf<paths['/v1/jobs/{id}']['get']['responses'][200]>;
export type JobStatus = Job['status'];
export type Model = JsonOf<paths['/v1/models/{id}']['get']['responses'][200]>;
export type JobEvent = JsonOf<paths['/v1/jobs/{id}/events']['get']['responses'][200]>['items'][number];
export type Predictions = JsonOf<paths['/v1/models/{idOrAlias}/predict']['post']['responses'][200]>;

/** The body of POST /v1/jobs. */
export type JobRequest = paths['/v1/jobs']['post']['requestBody']['content']['application/json'];
/** The body of POST /v1/models/{idOrAlias}/predict. */
export type PredictRequest =
  paths['/v1/models/{idOrAlias}/predict']['post']['requestBody']['content']['application/json'];
/** The query of POST /v1/datasets: the dataset's name and how its rows or images are read. */
export type DatasetUploadQuery = NonNullable<paths['/v1/datasets']['post']['parameters']['query']>;

/** An RFC 9457 problem, as every error response of the API carries it. */
export type Problem = paths['/v1/jobs/{id}']['get']['responses'][404]['content']['application/problem+json'];

/** The statuses a job ends in. */
export const FINAL_STATUSES: ReadonlySet<JobStatus> = new Set(['succeeded', 'failed', 'cancelled']);
