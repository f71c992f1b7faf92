import type { ModelRecord } from './model-store.js';

/** What every record states; the rest has defaults for a model that was not trained here. */
type RecordFields = Pick<
  ModelRecord,
  'id' | 'name' | 'source' | 'inputShape' | 'labels' | 'layers' | 'defaultCutLayer' | 'files' | 'sizeBytes'
> &
  Partial<
    Pick<
      ModelRecord,
      | 'format'
      | 'preprocessing'
      | 'metrics'
      | 'evaluation'
      | 'history'
      | 'lineage'
      | 'backend'
      | 'origin'
      | 'graphBase'
      | 'columns'
      | 'task'
      | 'targetScaling'
      | 'training'
    >
  >;

/**
 * A model's record, the one place records are made (uploads and trained models alike): no preprocessing, metrics,
 * evaluation, history, lineage or backend unless given.
 */
export function modelRecord(fields: RecordFields): ModelRecord {
  return {
    format: 'layers-model',
    preprocessing: null,
    metrics: {},
    evaluation: null,
    history: [],
    lineage: { jobId: null, baseModelId: null, datasetId: null, datasetSha256: null },
    backend: null,
    ...fields,
    createdAt: new Date().toISOString(),
  };
}
