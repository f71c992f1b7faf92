import type * as tf from '@tensorflow/tfjs';
import { graphBaseModel } from '../src/models/graph-base.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { disposeCheckpoint, type TrainingCheckpoint } from '../src/training/checkpoint.js';
import type { RunDeps } from './run-deps.js';
import type { RunRequest } from './training-run.js';

/** A job's base model as training takes it, and what frees what training does not (a GraphModel base's graph). */
export interface JobBase {
  model: tf.LayersModel;
  /** Set for a GraphModel base: the graph behind the model's `features` layer. */
  graph: tf.GraphModel | null;
}

/**
 * The base model, if the job has one: a LayersModel as stored, or a GraphModel as one frozen layer (see
 * graph-base.ts). A failure to load it frees the checkpoint the run would have resumed.
 */
export async function loadBase(
  deps: RunDeps,
  { tenant, spec }: RunRequest,
  record: ModelRecord | undefined,
  resume: TrainingCheckpoint | undefined,
): Promise<JobBase | undefined> {
  try {
    if (!spec.baseModel || !record) return undefined;
    if (record.format !== 'graph-model')
      return { model: await deps.models.load(tenant, record.id), graph: null };
    const graph = await deps.models.loadGraph(tenant, record.id);
    try {
      return { model: graphBaseModel(graph, record.inputShape), graph };
    } catch (error) {
      graph.dispose();
      throw error;
    }
  } catch (error) {
    disposeCheckpoint(resume);
    throw error;
  }
}
