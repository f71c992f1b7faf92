import * as tf from '@tensorflow/tfjs';
import { UnrecoverableError } from 'bullmq';
import type { Logger } from 'pino';
import type { DatasetData, DatasetStore } from '../src/datasets/dataset-store.js';
import type { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { estimateJobCost, type JobBudget } from '../src/jobs/job-cost.js';
import type { NewEvent } from '../src/jobs/job-events.js';
import { modelIdOfJob } from '../src/jobs/job-service.js';
import type { JobSpec } from '../src/jobs/job-spec.js';
import { describeLayers, ModelStore, type ModelRecord } from '../src/models/model-store.js';
import type { TrainingProgress, TrainingResultValue } from '../src/queue/catalogue.js';
import type { BackendInfo } from '../src/tf/backend.js';
import { defaultCutLayer } from '../src/training/model.js';
import { disposeCheckpoint } from '../src/training/checkpoint.js';
import {
  CheckpointMismatch,
  train,
  TrainingDiverged,
  TrainingStopped,
  type TrainingResult,
} from '../src/training/train.js';

export interface RunDeps {
  datasets: DatasetStore;
  models: ModelStore;
  checkpoints: CheckpointStore;
  backend: BackendInfo;
  logger: Logger;
  checkpointEvery: number;
  /** What one job may cost: prediction chunks are sized to fit it. */
  budget: JobBudget;
}

/** One attempt at a training job, as the worker hands it to the process that trains. */
export interface RunRequest {
  jobId: string;
  tenant: string;
  spec: JobSpec;
  attempt: number;
}

/** How a training run reports back and is told to stop; in another process, each call is a message. */
export interface RunChannel {
  /** Aborted with 'cancel' or 'handoff': training stops at the next batch boundary. */
  signal: AbortSignal;
  progress(report: TrainingProgress): void;
  event(event: NewEvent): void;
}

/** A failure that retrying cannot fix: the job fails at once with this code. */
export class JobFailure extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Maps a validation dataset's labels onto the training labels' indices; undefined when one is unknown. */
function remapLabels(data: DatasetData, from: string[], to: string[]): DatasetData | undefined {
  const index = from.map((label) => to.indexOf(label));
  if (index.some((i) => i < 0)) return undefined;
  return { features: data.features, labelIndex: data.labelIndex.map((i) => index[i]!) };
}

const log = (message: string, level: 'info' | 'warn' = 'info'): NewEvent => ({
  type: 'log',
  data: { level, message },
});

/**
 * One attempt at a training job: loads data and base model, goes on from the job's latest checkpoint if it has
 * one, trains (checkpointing as it goes), and stores the model. Runs in the training process, or inline.
 */
export async function runTraining(
  deps: RunDeps,
  request: RunRequest,
  channel: RunChannel,
): Promise<TrainingResultValue> {
  const { jobId, tenant, spec, attempt } = request;
  const backend = { name: deps.backend.name, device: deps.backend.device };
  const logger = deps.logger.child({ jobId, attempt });
  const startedAt = new Date().toISOString();
  const report: TrainingProgress = { progress: null, metrics: {}, history: [], backend, startedAt };
  channel.progress(report);

  const dataset = await deps.datasets.get(tenant, spec.dataset);
  if (!dataset)
    throw new JobFailure('dataset_missing', `dataset ${spec.dataset} was deleted before the job ran`);
  const data = await deps.datasets.load(tenant, dataset.id);
  let validationData: DatasetData | undefined;
  if ('dataset' in spec.validation) {
    const meta = await deps.datasets.get(tenant, spec.validation.dataset);
    if (!meta)
      throw new JobFailure(
        'dataset_missing',
        `validation dataset ${spec.validation.dataset} was deleted before the job ran`,
      );
    validationData = remapLabels(await deps.datasets.load(tenant, meta.id), meta.labels, dataset.labels);
    // Submission checks this; the failure is recorded like any other should the datasets change behind the API.
    if (!validationData) {
      throw new JobFailure('unknown_labels', 'the validation dataset has labels the training dataset lacks');
    }
  }
  let baseRecord: ModelRecord | undefined;
  if (spec.baseModel) {
    baseRecord = await deps.models.get(tenant, spec.baseModel);
    if (!baseRecord)
      throw new JobFailure('model_missing', `base model ${spec.baseModel} was deleted before the job ran`);
  }
  const latest = await deps.checkpoints.latest(tenant, jobId);
  if (latest) {
    // Until its first report, a resumed attempt shows the history it goes on from.
    const history = latest.checkpoint.state.history;
    const last = history.at(-1);
    const metrics = last
      ? { loss: last.loss, accuracy: last.accuracy, val_loss: last.val_loss, val_accuracy: last.val_accuracy }
      : {};
    Object.assign(report, { history, metrics });
    channel.progress(report);
  }
  let base: tf.LayersModel | undefined;
  try {
    if (spec.baseModel) base = await deps.models.load(tenant, spec.baseModel);
  } catch (error) {
    disposeCheckpoint(latest?.checkpoint);
    throw error;
  }

  // Sized as at submission, where a job whose rows are too large to predict even one at a time was refused.
  const shape = { featureShape: dataset.featureShape, classes: dataset.labels.length, rows: dataset.rows };
  const predictChunkRows = estimateJobCost(spec, shape, baseRecord, deps.budget).predictChunkRows;
  logger.info(
    {
      dataset: dataset.id,
      rows: dataset.rows,
      baseModel: spec.baseModel,
      checkpoint: latest?.info.id,
      predictChunkRows,
    },
    'training started',
  );
  let result: TrainingResult;
  // A hook that cannot store or report (the store or Redis failing) is the infrastructure's fault: retried.
  let hookFailure: unknown;
  const infrastructure = async (work: () => Promise<void>) => {
    try {
      await work();
    } catch (error) {
      hookFailure = error;
      throw error;
    }
  };
  try {
    result = await train(
      {
        spec,
        featureShape: dataset.featureShape,
        labels: dataset.labels,
        data,
        validationData,
        base,
        basePreprocessing: baseRecord?.preprocessing?.standardize ?? null,
        resume: latest?.checkpoint,
        checkpointEvery: deps.checkpointEvery,
        predictChunkRows,
        signal: channel.signal,
      },
      {
        onProgress: async (progress) => {
          const { metrics, history, ...position } = progress;
          Object.assign(report, { progress: position, metrics, history });
          channel.progress(report);
        },
        onEpoch: async (row) => {
          logger.debug(row, 'epoch finished');
          channel.event({ type: 'epoch', data: { ...row } });
        },
        onLog: async (message) => {
          logger.info(message);
          channel.event(log(message));
        },
        onCheckpoint: (checkpoint) =>
          infrastructure(async () => {
            const info = await deps.checkpoints.write(tenant, jobId, checkpoint, attempt);
            channel.event({ type: 'checkpoint', data: { ...info } });
          }),
      },
    );
  } catch (error) {
    if (error === hookFailure) throw error;
    if (error instanceof TrainingStopped) {
      logger.info({ reason: error.reason }, 'training stopped');
      throw error;
    }
    if (error instanceof CheckpointMismatch) {
      // Unusable for this job: the next attempt starts from the first epoch.
      await deps.checkpoints.deleteAll(tenant, jobId);
      channel.event(log(`${error.message}; the job starts over from the first epoch`, 'warn'));
      throw error;
    }
    logger.error({ err: error }, 'training failed');
    const code = error instanceof TrainingDiverged ? error.code : 'training_error';
    throw new JobFailure(code, (error as Error).message);
  }

  try {
    const modelId = modelIdOfJob(jobId);
    const preprocessing = result.preprocessing;
    const files = await ModelStore.serialize(result.model, {
      finetuned: { modelId, labels: dataset.labels, preprocessing },
    });
    const record: ModelRecord = {
      id: modelId,
      name: spec.name,
      source: 'job',
      inputShape: result.inputShape,
      labels: dataset.labels,
      layers: describeLayers(result.model),
      defaultCutLayer: defaultCutLayer(result.model),
      preprocessing,
      metrics: result.metrics,
      evaluation: result.evaluation,
      history: result.history,
      lineage: {
        jobId,
        baseModelId: spec.baseModel,
        datasetId: dataset.id,
        datasetSha256: dataset.sha256,
      },
      backend,
      files: [...files.keys()],
      sizeBytes: [...files.values()].reduce(
        (n, body) => n + (typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength),
        0,
      ),
      createdAt: new Date().toISOString(),
    };
    await deps.models.create(tenant, record, files);
    logger.info(
      { modelId, metrics: result.metrics, featureCaching: result.featureCaching },
      'training finished',
    );
    return {
      modelId,
      modelBytes: record.sizeBytes,
      metrics: result.metrics,
      history: result.history,
      backend,
      startedAt,
      featureCaching: result.featureCaching,
    };
  } finally {
    result.dispose();
  }
}
