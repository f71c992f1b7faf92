import { Type } from 'typebox';

export const MiB = 1024 * 1024;

/**
 * The limits among the settings of `ConfigSchema` (config.ts): how large what users send may be, and what one job
 * may cost. docs/configuration.md lists them with the rest.
 */
export const LIMIT_SETTINGS = {
  DATASET_MAX_BYTES: Type.Integer({ default: 100 * MiB, minimum: 1 }),
  DATASET_ARCHIVE_MAX_BYTES: Type.Integer({
    default: 1024 * MiB,
    minimum: 1,
    description: 'Largest image archive upload (zip, tar, tar.gz), as sent',
  }),
  DATASET_IMAGE_MAX_ENTRIES: Type.Integer({
    default: 200_000,
    minimum: 1,
    description: 'Most entries an image archive may hold, folders and skipped entries included',
  }),
  DATASET_IMAGE_MAX_DECOMPRESSED_BYTES: Type.Integer({
    default: 4096 * MiB,
    minimum: 1,
    description: "Most bytes an image archive's entries may take decompressed, together",
  }),
  DATASET_IMAGE_MAX_FILE_BYTES: Type.Integer({
    default: 32 * MiB,
    minimum: 1,
    description: 'Largest single image file in an archive',
  }),
  DATASET_IMAGE_MAX_PIXELS: Type.Integer({
    default: 25_000_000,
    minimum: 1,
    description: 'Most pixels (width × height) one image may declare, before any resizing',
  }),
  DATASET_IMAGE_MAX_STORED_BYTES: Type.Integer({
    default: 1024 * MiB,
    minimum: 1,
    description: "Most bytes an image dataset's pixels may take stored (N × H × W × C)",
  }),
  MODEL_MAX_BYTES: Type.Integer({ default: 256 * MiB, minimum: 1 }),
  MODEL_MAX_LAYERS: Type.Integer({
    default: 1000,
    minimum: 1,
    description: 'Most layers an uploaded model may have, nested models included',
  }),
  MODEL_MAX_GRAPH_NODES: Type.Integer({
    default: 10_000,
    minimum: 1,
    description: "Most nodes an uploaded GraphModel's graph may have, its functions' included",
  }),
  MODEL_MAX_PARAMS: Type.Integer({
    default: 64 * MiB,
    minimum: 1,
    description: "Most weight values an uploaded model's manifest may declare",
  }),
  MODEL_MAX_ACTIVATION_ELEMENTS: Type.Integer({
    default: 16 * MiB,
    minimum: 1,
    description:
      "Most values any layer of an uploaded model may produce for one instance, the model's input included",
  }),
  MODEL_PROBE_TIMEOUT_MS: Type.Integer({
    default: 30_000,
    minimum: 1,
    description:
      'How long an uploaded model may take to load and predict once, in its own process, before it is refused',
  }),
  MODEL_PROBE_MAX_BYTES: Type.Integer({
    default: 0,
    minimum: 0,
    description:
      'Resident memory of that process beyond which the model is refused; 0: 512 MiB + 6 × MODEL_MAX_BYTES',
  }),
  MODEL_PROBE_CONCURRENCY: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 64,
    description: 'Uploaded models checked at once; a few more wait, and beyond those an upload gets 503',
  }),
  MODEL_IMPORT_ALLOW_PRIVATE: Type.Boolean({
    default: false,
    description:
      'Let model imports fetch from private, loopback or link-local addresses (a closed network, tests); refused otherwise',
  }),
  MODEL_IMPORT_TIMEOUT_MS: Type.Integer({
    default: 120_000,
    minimum: 1,
    description: 'How long an import may take to fetch model.json and every weight file, redirects included',
  }),
  MODEL_IMPORT_MAX_REDIRECTS: Type.Integer({
    default: 5,
    minimum: 0,
    maximum: 20,
    description: 'Redirects followed for each file an import fetches',
  }),
  MODEL_IMPORT_CONCURRENCY: Type.Integer({
    default: 2,
    minimum: 1,
    maximum: 64,
    description: 'Imports one API process fetches at once; beyond those an import gets 503',
  }),
  BASE_MIRROR_URL: Type.String({
    default: '',
    pattern: '^(https?://.+)?$',
    description:
      'Empty: catalogue bases are fetched from where they are published; else from <BASE_MIRROR_URL>/<base id>/model.json',
  }),
  JSON_MAX_BYTES: Type.Integer({ default: 1 * MiB, minimum: 1 }),
  PREDICT_IMAGE_MAX_BYTES: Type.Integer({
    default: 16 * MiB,
    minimum: 1,
    description: 'Bytes of the images one prediction request carries, as multipart or one raw image/* body',
  }),
  MAX_CLASSES: Type.Integer({ default: 1000, minimum: 2, maximum: 100000 }),
  JOB_MAX_PARAMS: Type.Integer({
    default: 32_000_000,
    minimum: 1,
    description:
      'Most weights a job may train (the base up to the cut and the head); more is a 422 at submission',
  }),
  JOB_MAX_ACTIVATION_BYTES: Type.Integer({
    default: 1024 * MiB,
    minimum: 1,
    description:
      'Most bytes of activations (and their gradients) one training batch may hold; prediction chunks shrink to fit',
  }),
  JOB_MAX_BATCH_FLOPS: Type.Number({
    // About 4 s of a 2-core wasm worker (~27 GFLOP/s on convolutions): well inside the stop grace and the lock.
    default: 1e11,
    minimum: 1,
    description:
      'Most floating-point operations one training batch (forward and backward) may take; prediction chunks shrink to fit',
  }),
};
