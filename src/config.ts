import path from 'node:path';
import { envSchema } from 'env-schema';
import { Type, type Static } from 'typebox';

const MiB = 1024 * 1024;

/** Every environment variable the service reads, with its default. The README's config table mirrors it. */
export const ConfigSchema = Type.Object({
  PORT: Type.Integer({ default: 8080, minimum: 0, maximum: 65535 }),
  HOST: Type.String({ default: '127.0.0.1' }),
  REDIS_URL: Type.String({ default: 'redis://127.0.0.1:6379', pattern: '^rediss?://[^/?#]*(/\\d+)?$' }),
  REDIS_TLS_CA_FILE: Type.String({
    default: '',
    description:
      "With rediss://: PEM file of the CA that signed Redis's (and Sentinel's) certificate; empty: the system CAs",
  }),
  REDIS_SENTINELS: Type.String({
    default: '',
    pattern: '^(\\S+:\\d+(,\\S+:\\d+)*)?$',
    description:
      'host:port,host:port: find the Redis primary through these Sentinels; REDIS_URL then gives only the scheme, credentials and database',
  }),
  REDIS_SENTINEL_NAME: Type.String({
    default: 'mymaster',
    description: 'The primary name the Sentinels monitor',
  }),
  REDIS_SENTINEL_USERNAME: Type.String({
    default: '',
    description: "The Sentinels' ACL user, when they have one",
  }),
  REDIS_SENTINEL_PASSWORD: Type.String({ default: '' }),
  QUEUE_PREFIX: Type.String({
    default: 'finetuned',
    pattern: '^[A-Za-z0-9_.-]+$',
    description: 'Prefix of every Redis key and channel, so that several deployments can share one Redis',
  }),
  DATA_DIR: Type.String({ default: './data' }),
  STORE_URL: Type.String({
    default: '',
    pattern: '^(s3://.+)?$',
    description:
      'Empty: datasets, models and checkpoints under DATA_DIR; s3://bucket/prefix: in an S3-compatible store',
  }),
  S3_ENDPOINT: Type.String({ default: '', description: 'Endpoint of an S3-compatible store other than AWS' }),
  S3_REGION: Type.String({ default: 'us-east-1' }),
  S3_FORCE_PATH_STYLE: Type.Boolean({ default: false }),
  S3_ACCESS_KEY_ID: Type.String({
    default: '',
    description: "Empty: the AWS SDK's default credential chain",
  }),
  S3_SECRET_ACCESS_KEY: Type.String({ default: '' }),
  TFJS_BACKEND: Type.Enum(['auto', 'tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'], { default: 'auto' }),
  WORKER_CONCURRENCY: Type.Integer({ default: 1, minimum: 1, maximum: 64 }),
  JOB_ATTEMPTS: Type.Integer({ default: 3, minimum: 1, maximum: 100 }),
  LOG_LEVEL: Type.Enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], { default: 'info' }),
  DATASET_MAX_BYTES: Type.Integer({ default: 100 * MiB, minimum: 1 }),
  MODEL_MAX_BYTES: Type.Integer({ default: 256 * MiB, minimum: 1 }),
  JSON_MAX_BYTES: Type.Integer({ default: 1 * MiB, minimum: 1 }),
  MAX_CLASSES: Type.Integer({ default: 1000, minimum: 2, maximum: 100000 }),
  MODEL_CACHE_BYTES: Type.Integer({ default: 512 * MiB, minimum: 0 }),
  JOB_BACKOFF_MS: Type.Integer({ default: 5_000, minimum: 0 }),
  CHECKPOINT_EVERY_EPOCHS: Type.Integer({ default: 1, minimum: 1 }),
  CHECKPOINT_KEEP: Type.Integer({ default: 2, minimum: 1 }),
  TRAINING_ISOLATION: Type.Enum(['process', 'inline'], { default: 'process' }),
  WORKER_LOCK_MS: Type.Integer({ default: 30_000, minimum: 500 }),
  WORKER_STALLED_INTERVAL_MS: Type.Integer({ default: 30_000, minimum: 500 }),
  WORKER_DRAIN_TIMEOUT_MS: Type.Integer({ default: 30_000, minimum: 1_000 }),
  WORKER_HEARTBEAT_MS: Type.Integer({ default: 5_000, minimum: 100 }),
  WORKER_METRICS_PORT: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 65535,
    description: "Port of a worker's /metrics and /health; 0 serves none",
  }),
  IDEMPOTENCY_TTL_SECONDS: Type.Integer({ default: 24 * 3600, minimum: 1 }),
  SSE_HEARTBEAT_MS: Type.Integer({ default: 15_000, minimum: 100 }),
  API_KEYS: Type.String({
    default: '',
    description: 'JSON list of keys ({id, tenant, scopes, sha256}); added to those of API_KEYS_FILE',
  }),
  API_KEYS_FILE: Type.String({ default: '', description: 'Keys file; empty means DATA_DIR/api-keys.json' }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 60_000, minimum: 1 }),
  TENANT_MAX_ACTIVE_JOBS: Type.Integer({ default: 20, minimum: 1 }),
  TENANT_MAX_STORED_BYTES: Type.Integer({ default: 10 * 1024 * MiB, minimum: 1 }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ default: 1000, minimum: 10 }),
  INFERENCE_HOSTS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 64,
    description:
      'Inference threads or processes; 0 takes one per core beyond the first, at least 1 and at most 4',
  }),
  INFERENCE_ISOLATION: Type.Enum(['auto', 'thread', 'process'], { default: 'auto' }),
  PREDICT_MAX_BATCH: Type.Integer({ default: 64, minimum: 1, maximum: 4096 }),
  PREDICT_MAX_WAIT_MS: Type.Number({ default: 1, minimum: 0, maximum: 1000 }),
  PREDICT_QUEUE_LIMIT: Type.Integer({ default: 4096, minimum: 1 }),
});

export type Config = Static<typeof ConfigSchema>;
export type BackendName = Config['TFJS_BACKEND'];

/**
 * Reads and validates the configuration once. Every bad variable is listed in one error.
 * `overrides` lets tests and the all-in-one launcher set values without touching `process.env`.
 */
export function loadConfig(
  overrides: Partial<Record<keyof Config, string | number>> = {},
  env: NodeJS.ProcessEnv = process.env,
): Config {
  const data: Record<string, unknown> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = key in overrides ? overrides[key as keyof Config] : env[key];
    if (value !== undefined && value !== '') data[key] = value;
  }
  const config = envSchema<Config>({ schema: ConfigSchema, data, dotenv: false });
  const dataDir = path.resolve(config.DATA_DIR);
  return {
    ...config,
    DATA_DIR: dataDir,
    API_KEYS_FILE: path.resolve(config.API_KEYS_FILE || path.join(dataDir, 'api-keys.json')),
  };
}
