/**
 * Every `code` a problem+json response can carry, by status: a closed set, documented in docs/errors.md (a test
 * holds the two equal). Framework errors outside FRAMEWORK_CODES get Fastify's own code, lower-cased.
 */
export const PROBLEM_CODES = {
  400: [
    'validation_failed',
    'invalid_json',
    'empty_body',
    'invalid_content_length',
    'bad_url',
    'bad_request',
    'invalid_multipart',
    'invalid_dataset',
    'invalid_model',
    'invalid_job',
    'out_of_range',
    'duplicate_authorization',
  ],
  401: ['unauthorized'],
  403: ['forbidden'],
  404: [
    'dataset_not_found',
    'model_not_found',
    'job_not_found',
    'alias_not_found',
    'file_not_found',
    'route_not_found',
  ],
  408: ['body_timeout'],
  409: ['dataset_in_use', 'model_in_use', 'model_aliased', 'job_finished', 'idempotency_in_progress'],
  413: [
    'body_too_large',
    'model_too_large',
    'too_many_files',
    'too_many_parts',
    'too_many_fields',
    'quota_exceeded',
  ],
  414: ['uri_too_long'],
  415: ['unsupported_media_type', 'unsupported_charset'],
  422: [
    'invalid_instance',
    'shape_mismatch',
    'unknown_labels',
    'unknown_layer',
    'no_cut_layer',
    'no_validation_data',
    'unknown_layer_class',
    'unsupported_model',
    'invalid_model',
    'idempotency_key_reused',
    'job_too_costly',
    'invalid_topology',
    'model_too_complex',
    'weight_mismatch',
    'non_finite_weights',
    'model_load_timeout',
    'model_load_memory_exceeded',
    'non_finite_output',
    'model_unservable',
  ],
  429: ['rate_limited', 'quota_exceeded'],
  500: ['internal_error'],
  503: [
    'not_ready',
    'server_busy',
    'overloaded',
    'model_load_busy',
    'model_probe_unavailable',
    'model_load_failed',
    'inference_unavailable',
    'redis_unavailable',
    'store_unavailable',
  ],
} as const;

/** A problem's stable code. */
export type ProblemCode = (typeof PROBLEM_CODES)[keyof typeof PROBLEM_CODES][number];

/** Every code, once. */
export const ALL_PROBLEM_CODES: ReadonlySet<ProblemCode> = new Set(Object.values(PROBLEM_CODES).flat());
