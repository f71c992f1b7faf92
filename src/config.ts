import fs from 'node:fs';
import path from 'node:path';
import { envSchema } from 'env-schema';
import { Type, type Static } from 'typebox';
import { LIMIT_SETTINGS, MiB } from './config-limits.js';

/** Every environment variable the service reads, with its default. docs/configuration.md mirrors it. */
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
  ...LIMIT_SETTINGS,
  MODEL_CACHE_BYTES: Type.Integer({ default: 512 * MiB, minimum: 0 }),
  JOB_BACKOFF_MS: Type.Integer({ default: 5_000, minimum: 0 }),
  JOB_STOP_GRACE_MS: Type.Integer({
    default: 10_000,
    minimum: 1,
    description:
      'How long a training process has to honour a cancel before it is killed (process isolation only); a hand-off on shutdown has WORKER_DRAIN_TIMEOUT_MS',
  }),
  CHECKPOINT_EVERY_EPOCHS: Type.Integer({ default: 1, minimum: 1 }),
  CHECKPOINT_MIN_INTERVAL_MS: Type.Integer({ default: 10_000, minimum: 0 }),
  CHECKPOINT_KEEP: Type.Integer({ default: 2, minimum: 1 }),
  PROGRESS_EVENT_INTERVAL_MS: Type.Integer({
    default: 500,
    minimum: 0,
    description:
      "The least time between two progress events in a job's log; its progress field is updated at least as often",
  }),
  JOB_RETENTION_DAYS: Type.Number({
    default: 30,
    minimum: 0,
    description:
      'Finished jobs (their records, event logs, index entries, markers and checkpoints) are removed this long after they ended; 0 keeps them. Models, datasets and aliases stay',
  }),
  JOB_RETENTION_SWEEP_MS: Type.Integer({
    default: 60_000,
    minimum: 100,
    description: 'How often the API looks for finished jobs past their retention',
  }),
  JOB_RETELL_AFTER_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    description:
      'A status change whose listeners (webhooks, quota slots) have not all run this long after it was written (its process died, a listener failed) is told again by the API; also how often it looks',
  }),
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
  DASHBOARD_DIR: Type.String({
    default: '',
    description:
      "The dashboard's built files, served at /ui/; empty: web/dist of the installation (`npm run build:ui`)",
  }),
  CORS_ORIGINS: Type.String({
    default: '',
    description:
      'Origins whose browser pages may call the API, separated by commas (https://app.example.com); * for any; empty for none',
  }),
  RATE_LIMIT_PER_MINUTE: Type.Integer({ default: 60_000, minimum: 1 }),
  TENANT_MAX_ACTIVE_JOBS: Type.Integer({ default: 20, minimum: 1 }),
  TENANT_MAX_STORED_BYTES: Type.Integer({ default: 10 * 1024 * MiB, minimum: 1 }),
  MAX_EVENT_LOOP_DELAY_MS: Type.Integer({ default: 1000, minimum: 10 }),
  HTTP_HEADERS_TIMEOUT_MS: Type.Integer({
    default: 20_000,
    minimum: 100,
    description: "A client's whole request head must arrive within this; else the connection is closed",
  }),
  HTTP_BODY_IDLE_TIMEOUT_MS: Type.Integer({
    default: 30_000,
    minimum: 100,
    description:
      'A request body that sends nothing for this long is cut off (408); a slow but steady upload goes on',
  }),
  HTTP_REQUEST_TIMEOUT_MS: Type.Integer({
    default: 900_000,
    minimum: 1_000,
    description:
      'The whole request, body included, must arrive within this: sized for MODEL_MAX_BYTES on a slow link',
  }),
  HTTP_KEEP_ALIVE_TIMEOUT_MS: Type.Integer({
    default: 72_000,
    minimum: 100,
    description:
      'An idle kept-alive connection is closed after this; above the idle timeout of a load balancer in front',
  }),
  INFERENCE_HOSTS: Type.Integer({
    default: 0,
    minimum: 0,
    maximum: 64,
    description:
      'Inference threads or processes; 0 takes one per core beyond the first, at least 1 and at most 4',
  }),
  INFERENCE_ISOLATION: Type.Enum(['auto', 'thread', 'process'], { default: 'auto' }),
  PREDICT_MAX_BATCH: Type.Integer({ default: 64, minimum: 1, maximum: 4096 }),
  PREDICT_MAX_WAIT_MS: Type.Number({ default: 0, minimum: 0, maximum: 1000 }),
  PREDICT_QUEUE_LIMIT: Type.Integer({ default: 4096, minimum: 1 }),
  WEBHOOK_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description:
      'Let webhook endpoints be private, loopback or link-local addresses (a closed network, tests); refused otherwise',
  }),
  WEBHOOK_TIMEOUT_MS: Type.Integer({
    default: 10_000,
    minimum: 100,
    description: 'How long one delivery attempt may take, from connecting to the end of the response',
  }),
  WEBHOOK_BACKOFF_MS: Type.Integer({
    default: 5_000,
    minimum: 1,
    description: 'Delay before the first retry of a failed delivery; it doubles with each further one',
  }),
  WEBHOOK_RETRY_SPAN_MS: Type.Integer({
    default: 24 * 3600 * 1000,
    minimum: 0,
    description: 'How long a failing delivery is retried: retries are made while they fit in this span',
  }),
  WEBHOOK_MAX_ENDPOINTS: Type.Integer({ default: 20, minimum: 1, maximum: 1000 }),
  WEBHOOK_CONCURRENCY: Type.Integer({
    default: 8,
    minimum: 0,
    maximum: 256,
    description: 'Deliveries one API process sends at once; 0: this process sends none (others do)',
  }),
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
  const data: Record<string, string | number> = {};
  for (const key of Object.keys(ConfigSchema.properties)) {
    const value = key in overrides ? overrides[key as keyof Config] : env[key];
    if (value !== undefined && value !== '') data[key] = value;
  }
  let config: Config;
  try {
    config = envSchema<Config>({ schema: ConfigSchema, data, dotenv: false });
  } catch (error) {
    throw new ConfigError(describeInvalid((error as Error).message, data));
  }
  const dataDir = path.resolve(config.DATA_DIR);
  return {
    ...config,
    DATA_DIR: dataDir,
    API_KEYS_FILE: path.resolve(config.API_KEYS_FILE || path.join(dataDir, 'api-keys.json')),
  };
}

/** A configuration that cannot be used: every bad variable, with why, on one line. */
export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** env-schema's `env/PORT must be integer, env/X …` as `PORT="abc" must be integer; X=… …`. */
function describeInvalid(message: string, data: Record<string, string | number>): string {
  const problems = message.split(/, (?=env\/)/).map((part) => {
    const [, name, reason] = /^env\/(\w+) (.*)$/.exec(part) ?? [];
    if (!name) return part;
    const value = data[name];
    return value === undefined ? `${name} ${reason}` : `${name}=${JSON.stringify(String(value))} ${reason}`;
  });
  return `invalid configuration: ${problems.join('; ')}`;
}

/**
 * Reads `.env` from the working directory into the environment when there is one; variables already set win. For
 * the start commands, before {@link loadConfig}.
 */
export function readDotEnv(file = '.env'): void {
  if (fs.existsSync(file)) process.loadEnvFile(file);
}

/**
 * {@link loadConfig} for a process's entry point: a bad value ends the process with that one line, no stack.
 */
export function loadConfigOrExit(): Config {
  try {
    return loadConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(error.message);
    process.exit(1);
  }
}
