import type { FastifyRequest } from 'fastify';
import { badRequest } from '../errors.js';
import { modelLimits } from '../models/model-graph.js';
import type { ProbeReport } from '../models/model-probe.js';
import type { ModelRecord } from '../models/model-store.js';
import { checkUploadContents, type ValidUpload } from '../models/model-upload.js';
import { announceModel } from '../webhooks/job-webhooks.js';
import type { RouteApp } from './route-app.js';

/*
 * The steps every model that comes in from outside goes through, uploaded or imported: its contents checked, a
 * probe process loading it, then the files stored against the tenant's quota and the model announced.
 */

/**
 * Checks the model's graph and weights, then loads it in a probe process; the labels (given in `labelsField`)
 * must fit its outputs.
 */
export async function probeUpload(
  app: RouteApp,
  upload: ValidUpload,
  labels: string[] | null,
  labelsField = 'labels',
): Promise<ProbeReport> {
  await checkUploadContents(upload, modelLimits(app.config));
  const report = await app.modelProbe.probe(upload);
  const outputs = report.outputShape.at(-1);
  if (labels && outputs !== labels.length) {
    throw badRequest(
      'invalid_model',
      `'labels' has ${labels.length} entries but the model outputs ${outputs} values`,
      { field: labelsField },
    );
  }
  return report;
}

/** Stores the model's files and record against the tenant's quota, then announces it to the tenant's webhooks. */
export async function storeModel(
  app: RouteApp,
  request: FastifyRequest,
  record: ModelRecord,
  files: ValidUpload['files'],
): Promise<void> {
  await app.quotas.storeCounted(request.tenant, record.id, record.sizeBytes, () =>
    app.models.create(request.tenant, record, files),
  );
  // A failure to enqueue is logged, never the model's.
  await announceModel(
    app.webhooks.fanout,
    request.tenant,
    record.id,
    record.createdAt,
    async () => record,
  ).catch((error: unknown) =>
    request.log.warn({ err: error, modelId: record.id }, 'could not announce the model'),
  );
}
