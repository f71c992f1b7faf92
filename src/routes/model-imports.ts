import { Type, type Static } from 'typebox';
import { badRequest, unavailable, unprocessable } from '../errors.js';
import { redactUrl } from '../http/redact-url.js';
import { newId } from '../ids.js';
import { BASE_IDS, baseModelUrl, catalogueBase, type CatalogueBase } from '../models/bases-catalogue.js';
import { fetchModelFiles, modelJsonUrl, type FetchedModel } from '../models/model-import.js';
import { checkPreprocessingFits, metadataOf, type FinetunedMetadata } from '../models/model-metadata.js';
import type { ProbeReport } from '../models/model-probe.js';
import { modelRecord } from '../models/model-record.js';
import { ModelSchema, type ModelRecord } from '../models/model-store.js';
import { validateUpload, type ValidUpload } from '../models/model-upload.js';
import { probeUpload, storeModel } from './model-intake.js';
import type { RouteApp } from './route-app.js';
import { problems } from './schemas.js';

const ImportBody = Type.Object(
  {
    url: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 4000,
        description:
          "A TF.js model.json (LayersModel or GraphModel), its weight files beside it; a TF Hub or Kaggle model page's URL works as TF.js's fromTFHub takes it",
      }),
    ),
    base: Type.Optional(
      Type.Enum(BASE_IDS, { description: 'A catalogue base (GET /v1/bases), instead of `url`' }),
    ),
    sha256: Type.Optional(
      Type.String({
        pattern: '^[0-9a-fA-F]{64}$',
        description:
          'SHA-256 of model.json followed by each weight file in manifest order (`cat model.json shard1 shard2 | sha256sum`): the import is refused (422) unless the files fetched have it',
      }),
    ),
    preprocessing: Type.Optional(
      Type.Object(
        { scale: Type.Number(), offset: Type.Number() },
        {
          additionalProperties: false,
          description:
            "The base's pixel scaling, recorded with it and applied wherever it predicts or trains: each value v (0..255) becomes v × scale + offset. A catalogue base has its own.",
        },
      ),
    ),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    labels: Type.Optional(
      Type.Array(Type.String({ minLength: 1, maxLength: 200 }), {
        minItems: 1,
        maxItems: 100_000,
        description: 'Class labels in output order',
      }),
    ),
  },
  { additionalProperties: false },
);
type ImportRequest = Static<typeof ImportBody>;

/** What an import fetches: model.json's URL, the field problems name, and the catalogue base when it is one. */
interface ImportSource {
  url: URL;
  field: '/body/url' | '/body/base';
  base: CatalogueBase | null;
}

/** The source a request names: exactly one of `url` and `base`; a base resolved under BASE_MIRROR_URL when set. */
function importSource(app: RouteApp, body: ImportRequest): ImportSource {
  if ((body.url === undefined) === (body.base === undefined))
    throw badRequest('validation_failed', "give either 'url' or 'base'", { field: '/body/url' });
  if (body.url !== undefined)
    return { url: modelJsonUrl(body.url, '/body/url'), field: '/body/url', base: null };
  const base = catalogueBase(body.base!)!;
  const url = modelJsonUrl(baseModelUrl(base, app.config.BASE_MIRROR_URL), '/body/base');
  return { url, field: '/body/base', base };
}

/** The pinned digest, when one was given, must be the digest of what was fetched. */
function checkPin(expected: string | undefined, fetched: FetchedModel): void {
  if (expected === undefined || expected.toLowerCase() === fetched.sha256) return;
  throw unprocessable(
    'checksum_mismatch',
    `the files fetched have SHA-256 ${fetched.sha256}, not the ${expected.toLowerCase()} given`,
    { field: '/body/sha256', expected: expected.toLowerCase(), actual: fetched.sha256 },
  );
}

/** The preprocessing recorded: the pixel scaling given (or the base's) over what model.json's metadata says. */
function preprocessingOf(
  body: ImportRequest,
  base: CatalogueBase | null,
  metadata: FinetunedMetadata | null,
): ModelRecord['preprocessing'] {
  const pixels = body.preprocessing ?? base?.preprocessing;
  if (!pixels) return metadata?.preprocessing ?? null;
  if (!Number.isFinite(pixels.scale) || !Number.isFinite(pixels.offset))
    throw badRequest('validation_failed', 'preprocessing: scale and offset must be finite numbers', {
      field: '/body/preprocessing',
    });
  return { ...(metadata?.preprocessing ?? {}), pixels: { scale: pixels.scale, offset: pixels.offset } };
}

/** A catalogue base must be what the catalogue says it is; its cut layer is the default when the base has it. */
function checkBase(base: CatalogueBase | null, upload: ValidUpload, report: ProbeReport): string | null {
  if (!base) return report.defaultCutLayer;
  if (upload.format !== base.format)
    throw unprocessable(
      'import_failed',
      `base '${base.id}' should be a ${base.format}, but a ${upload.format} was fetched`,
      {
        field: '/body/base',
        reason: 'format',
      },
    );
  const cut = base.defaultCutLayer;
  return cut !== null && report.layers.some((layer) => layer.name === cut) ? cut : report.defaultCutLayer;
}

/** Fetches, checks and probes the model a request names, and makes its record. */
async function importModel(app: RouteApp, body: ImportRequest): Promise<[ModelRecord, ValidUpload]> {
  const source = importSource(app, body);
  const { config } = app;
  const fetched = await fetchModelFiles(source.url, {
    allowPrivate: config.MODEL_IMPORT_ALLOW_PRIVATE,
    timeoutMs: config.MODEL_IMPORT_TIMEOUT_MS,
    maxRedirects: config.MODEL_IMPORT_MAX_REDIRECTS,
    maxBytes: config.MODEL_MAX_BYTES,
    field: source.field,
  });
  checkPin(body.sha256, fetched);
  const upload = validateUpload(fetched.files);
  const metadata = metadataOf(upload.json);
  const labels = body.labels ?? metadata?.labels ?? null;
  const report = await probeUpload(app, upload, labels, '/body/labels');
  const defaultCutLayer = checkBase(source.base, upload, report);
  const preprocessing = preprocessingOf(body, source.base, metadata);
  const columns = metadata?.columns;
  checkPreprocessingFits(
    preprocessing,
    report.inputShape.reduce((n, d) => n * d, 1),
    columns,
  );
  const record = modelRecord({
    id: newId('mdl'),
    name: body.name ?? source.base?.name ?? 'imported model',
    source: 'import',
    format: upload.format,
    inputShape: report.inputShape,
    labels,
    preprocessing,
    ...(columns && { columns }),
    layers: report.layers,
    defaultCutLayer,
    files: [...upload.files.keys()],
    sizeBytes: upload.sizeBytes,
    origin: { url: redactUrl(source.url.href), base: source.base?.id ?? null, sha256: fetched.sha256 },
  });
  return [record, upload];
}

/**
 * POST /import: a model fetched from where users keep them (a URL, or a catalogue base), checked and probed as
 * an upload is, then stored against the tenant's quota. At most MODEL_IMPORT_CONCURRENCY at once per process:
 * each holds its files in memory until they are stored.
 */
export function registerImport(app: RouteApp): void {
  let running = 0;
  app.post(
    '/import',
    {
      config: { scope: 'models:write' },
      schema: {
        summary:
          'Import a TF.js LayersModel or GraphModel from a URL (TF Hub and Kaggle model pages included), or a catalogue base',
        body: ImportBody,
        response: { 201: ModelSchema, ...problems(400, 413, 422, 503) },
      },
    },
    async (request, reply) => {
      if (running >= app.config.MODEL_IMPORT_CONCURRENCY)
        throw unavailable('model_load_busy', 'too many models are being imported at once; retry shortly', 5);
      running += 1;
      let record: ModelRecord;
      try {
        const [imported, upload] = await importModel(app, request.body);
        record = imported;
        // Stored, then announced to the tenant's webhooks.
        await storeModel(app, request, record, upload.files);
      } finally {
        running -= 1;
      }
      return reply.code(201).header('location', `/v1/models/${record.id}`).send(record);
    },
  );
}
