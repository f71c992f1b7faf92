/**
 * The typed client of the finetuned API, for programs: `import { createClient } from 'finetuned/client'`.
 * Every route is typed from the OpenAPI document the API serves (openapi.d.ts, made by `npm run openapi:types`)
 * through openapi-fetch; the helpers beside it cover what openapi-fetch does not: a job's live event stream and
 * dataset uploads of raw bodies (a file, a Blob, a stream).
 */
import createFetchClient, { type Client } from 'openapi-fetch';
import { resultOf, type Result } from './api-error.js';
import { followJobEvents, type JobEventsOptions } from './event-stream.js';
import type { paths } from './openapi.js';
import type { Dataset, DatasetUploadQuery, JobEvent } from './types.js';

export type { paths } from './openapi.js';
export type {
  Dataset,
  DatasetUploadQuery,
  Job,
  JobEvent,
  JobRequest,
  JobStatus,
  Model,
  PredictRequest,
  Predictions,
  Problem,
} from './types.js';
export { FINAL_STATUSES } from './types.js';
export { ApiError, isProblem, unwrap, type Result } from './api-error.js';
export { isFinalEvent, sseMessages, type JobEventsOptions, type SseMessage } from './event-stream.js';

export interface ClientOptions {
  /** The API's base URL, such as `http://127.0.0.1:8080`. */
  url: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** The fetch to use (default: the global one). */
  fetch?: typeof globalThis.fetch;
}

export interface DatasetUpload {
  /** The body's media type: `text/csv`, `application/x-ndjson`, `application/json`, `application/zip`, `application/x-tar`, `application/gzip`. */
  contentType: string;
  query?: DatasetUploadQuery;
  signal?: AbortSignal;
}

/** openapi-fetch's client for every route, and the helpers it lacks. */
export type FinetunedClient = Client<paths> & {
  /** The base URL, without a trailing slash. */
  readonly url: string;
  /** A job's events from its start (or after `after`) as they happen, ending with its final status. */
  jobEvents: (jobId: string, options?: JobEventsOptions) => AsyncGenerator<JobEvent>;
  /** POST /v1/datasets with the body as it is: a file's bytes (`fs.openAsBlob`), a string, or a stream. */
  uploadDataset: (
    body: string | Uint8Array | Blob | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
    upload: DatasetUpload,
  ) => Promise<Result<Dataset>>;
};

/** A client for the API at `url`, authenticating with `apiKey`. */
export function createClient({ url, apiKey, fetch = globalThis.fetch }: ClientOptions): FinetunedClient {
  const base = url.replace(/\/+$/, '');
  const auth: Record<string, string> = apiKey ? { authorization: `Bearer ${apiKey}` } : {};
  const api = createFetchClient<paths>({ baseUrl: base, headers: auth, fetch: (request) => fetch(request) });
  return {
    ...api,
    url: base,
    jobEvents: (jobId, options) =>
      followJobEvents(
        (headers, signal) =>
          fetch(`${base}/v1/jobs/${encodeURIComponent(jobId)}/events`, {
            headers: { ...auth, ...headers },
            signal,
          }),
        options,
      ),
    uploadDataset: async (body, { contentType, query = {}, signal }) => {
      const search = new URLSearchParams(
        Object.entries(query).flatMap(([key, value]): Array<[string, string]> =>
          value === undefined ? [] : [[key, String(value)]],
        ),
      ).toString();
      const response = await fetch(`${base}/v1/datasets${search ? `?${search}` : ''}`, {
        method: 'POST',
        headers: { ...auth, 'content-type': contentType },
        // A stream goes as it is made (chunked): `duplex` is what fetch asks of a streaming request body.
        body,
        duplex: 'half',
        signal,
      });
      return resultOf<Dataset>(response);
    },
  };
}
