import type * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../src/datasets/dataset-store.js';
import { modelIdOfJob } from '../src/jobs/job-outputs.js';
import { BASE_MODEL_JSON, graphBaseFiles } from '../src/models/graph-base-files.js';
import { headOf } from '../src/models/graph-base.js';
import type { FinetunedMetadata } from '../src/models/model-metadata.js';
import { modelRecord } from '../src/models/model-record.js';
import { describeLayers, ModelStore, type ModelRecord } from '../src/models/model-store.js';
import { defaultCutLayer } from '../src/training/model.js';
import type { TrainingResult } from '../src/training/train.js';
import { trainingSettingsOf } from '../src/training/training-settings.js';
import type { RunDeps } from './run-deps.js';
import type { RunRequest } from './training-run.js';

type Files = Map<string, Uint8Array | string>;

/**
 * The files of a trained model: the model, or, on a GraphModel base, the head that follows the graph with a copy
 * of the graph beside it (`graphBase` says where).
 */
async function modelFiles(
  deps: RunDeps,
  { tenant, spec }: RunRequest,
  result: TrainingResult,
  graph: tf.GraphModel | null,
  metadata: FinetunedMetadata,
): Promise<{ files: Files; graphBase?: ModelRecord['graphBase'] }> {
  if (!graph || !spec.baseModel)
    return { files: await ModelStore.serialize(result.model, { finetuned: metadata }) };
  const head = headOf(result.model);
  const graphBase = { modelJson: BASE_MODEL_JSON, featureShape: head.inputs[0]!.shape.slice(1) as number[] };
  const files: Files = await ModelStore.serialize(head, { finetuned: { ...metadata, graphBase } });
  for (const [name, body] of await graphBaseFiles(deps.models, tenant, spec.baseModel)) files.set(name, body);
  return { files, graphBase };
}

/** Stores the trained model with its record: what it was trained from, how, and how well. */
export async function storeModel(
  deps: RunDeps,
  request: RunRequest,
  dataset: Dataset,
  result: TrainingResult,
  context: { backend: ModelRecord['backend']; graph: tf.GraphModel | null },
): Promise<ModelRecord> {
  const { jobId, tenant, spec } = request;
  const modelId = modelIdOfJob(jobId);
  const preprocessing = result.preprocessing;
  const columns = dataset.columns;
  const regression = result.task === 'regression' && result.targetScaling;
  // A regression predicts a number: it has no labels, and says how its output is scaled.
  const labels = regression ? null : dataset.labels;
  const task = regression ? { task: 'regression' as const, targetScaling: result.targetScaling! } : {};
  const metadata: FinetunedMetadata = {
    modelId,
    labels,
    preprocessing,
    ...(columns && { columns }),
    ...task,
  };
  const { files, graphBase } = await modelFiles(deps, request, result, context.graph, metadata);
  const record = modelRecord({
    id: modelId,
    name: spec.name,
    source: 'job',
    inputShape: result.inputShape,
    labels,
    layers: describeLayers(result.model),
    defaultCutLayer: defaultCutLayer(result.model),
    preprocessing,
    metrics: result.metrics,
    evaluation: result.evaluation ?? result.regressionEvaluation,
    ...task,
    history: result.history,
    training: trainingSettingsOf(spec, result.history),
    lineage: { jobId, baseModelId: spec.baseModel, datasetId: dataset.id, datasetSha256: dataset.sha256 },
    backend: context.backend,
    ...(graphBase && { graphBase }),
    ...(columns && { columns }),
    files: [...files.keys()],
    sizeBytes: [...files.values()].reduce(
      (n, body) => n + (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
      0,
    ),
  });
  await deps.models.create(tenant, record, files);
  return record;
}
