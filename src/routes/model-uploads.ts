import type { FastifyRequest } from 'fastify';
import { badRequest, ProblemError } from '../errors.js';
import { newId } from '../ids.js';
import { checkPreprocessingFits, metadataOf } from '../models/model-metadata.js';
import type { ProbeReport } from '../models/model-probe.js';
import { modelRecord } from '../models/model-record.js';
import { ModelSchema, type ModelRecord } from '../models/model-store.js';
import { validateUpload, type ValidUpload } from '../models/model-upload.js';
import { probeUpload, storeModel } from './model-intake.js';
import { readParts } from './multipart-parts.js';
import type { RouteApp } from './route-app.js';
import { problems } from './schemas.js';

/** Reads every part of a multipart upload, refusing one whose files together exceed `maxBytes`. */
async function readUploadParts(request: FastifyRequest, maxBytes: number) {
  const { files, fields } = await readParts(request, {
    maxBytes,
    tooLarge: () =>
      new ProblemError(
        413,
        'model_too_large',
        `the model's files exceed MODEL_MAX_BYTES (${maxBytes} bytes)`,
      ),
    checkName: (name, earlier) => {
      if (earlier.some((file) => file.name === name))
        throw badRequest('invalid_model', `the file '${name}' was uploaded twice`, { file: name });
    },
  });
  return { files: new Map(files.map(({ name, data }) => [name, data])), fields };
}

/** The optional `labels` field: a JSON array of non-empty strings, or null when it was left out. */
function parseLabels(field: string | undefined): string[] | null {
  if (field === undefined) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(field);
  } catch {
    parsed = undefined;
  }
  if (
    !Array.isArray(parsed) ||
    !parsed.every((l) => typeof l === 'string' && l.length > 0 && l.length <= 200)
  ) {
    throw badRequest('invalid_model', "the 'labels' field must be a JSON array of non-empty strings", {
      field: 'labels',
    });
  }
  return parsed as string[];
}

/**
 * The record of an uploaded model: no lineage, no training history; the labels and preprocessing its model.json
 * carries when it was trained here (labels given with the upload win).
 */
function uploadedRecord(
  name: string | undefined,
  { labels, preprocessing, columns }: Pick<ModelRecord, 'labels' | 'preprocessing' | 'columns'>,
  upload: ValidUpload,
  report: ProbeReport,
): ModelRecord {
  return modelRecord({
    id: newId('mdl'),
    name: name?.slice(0, 200) || 'uploaded model',
    source: 'upload',
    format: upload.format,
    inputShape: report.inputShape,
    labels,
    preprocessing,
    ...(columns && { columns }),
    layers: report.layers,
    defaultCutLayer: report.defaultCutLayer,
    files: [...upload.files.keys()],
    sizeBytes: upload.sizeBytes,
  });
}

/** POST /: a model uploaded as multipart, checked, probed, then stored against the tenant's quota. */
export function registerUpload(app: RouteApp): void {
  app.post(
    '/',
    {
      config: { scope: 'models:write' },
      bodyLimit: app.config.MODEL_MAX_BYTES,
      schema: {
        summary:
          'Upload a TF.js LayersModel or GraphModel (multipart: model.json and its weight files; optional fields name, labels). A model downloaded from here keeps its labels and preprocessing.',
        consumes: ['multipart/form-data'],
        response: { 201: ModelSchema, ...problems(400, 406, 413, 415, 422, 503) },
      },
    },
    async (request, reply) => {
      if (!request.isMultipart())
        throw new ProblemError(415, 'unsupported_media_type', 'upload the model as multipart/form-data');
      const { files, fields } = await readUploadParts(request, app.config.MODEL_MAX_BYTES);
      const upload = validateUpload(files);
      const metadata = metadataOf(upload.json);
      const labels = parseLabels(fields.labels) ?? metadata?.labels ?? null;
      const report = await probeUpload(app, upload, labels);
      const preprocessing = metadata?.preprocessing ?? null;
      const columns = metadata?.columns;
      checkPreprocessingFits(
        preprocessing,
        report.inputShape.reduce((n, d) => n * d, 1),
        columns,
      );
      const record = uploadedRecord(fields.name, { labels, preprocessing, columns }, upload, report);
      // Stored, then announced to the tenant's webhooks.
      await storeModel(app, request, record, upload.files);
      return reply.code(201).header('location', `/v1/models/${record.id}`).send(record);
    },
  );
}
