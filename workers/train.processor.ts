import * as tf from '@tensorflow/tfjs';
import { UnrecoverableError, type Job } from 'bullmq';
import type { Logger } from 'pino';
import type { DatasetData, DatasetStore } from '../src/datasets/dataset-store.js';
import { modelIdOfJob } from '../src/jobs/job-service.js';
import { describeLayers, ModelStore, type ModelRecord } from '../src/models/model-store.js';
import type { TrainingPayload, TrainingProgress, TrainingResultValue } from '../src/queue/catalogue.js';
import type { BackendInfo } from '../src/tf/backend.js';
import { defaultCutLayer } from '../src/training/model.js';
import { train, TrainingDiverged, type TrainingResult } from '../src/training/train.js';

export interface TrainingDeps {
  datasets: DatasetStore;
  models: ModelStore;
  backend: BackendInfo;
  logger: Logger;
}

/** A failure that retrying cannot fix: the job fails at once with this code. */
class JobFailure extends UnrecoverableError {
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

/** The training processor: loads data and base model, trains, stores the model. Exported for tests and workers. */
export function createTrainingProcessor(deps: TrainingDeps) {
  const backend = { name: deps.backend.name, device: deps.backend.device };

  return async function processTraining(
    job: Job<TrainingPayload, TrainingResultValue>,
  ): Promise<TrainingResultValue> {
    const { tenant, spec } = job.data;
    const log = deps.logger.child({ jobId: job.id, attempt: job.attemptsMade + 1 });
    const startedAt = new Date().toISOString();
    const report: TrainingProgress = { progress: null, metrics: {}, history: [], backend, startedAt };
    await job.updateProgress(report);

    const fail = async (code: string, message: string) => {
      await job.updateProgress({ ...report, error: { code, message } });
      return new JobFailure(code, message);
    };

    const dataset = await deps.datasets.get(tenant, spec.dataset);
    if (!dataset)
      throw await fail('dataset_missing', `dataset ${spec.dataset} was deleted before the job ran`);
    const data = await deps.datasets.load(tenant, dataset.id);
    let validationData: DatasetData | undefined;
    if ('dataset' in spec.validation) {
      const meta = await deps.datasets.get(tenant, spec.validation.dataset);
      if (!meta)
        throw await fail(
          'dataset_missing',
          `validation dataset ${spec.validation.dataset} was deleted before the job ran`,
        );
      validationData = remapLabels(await deps.datasets.load(tenant, meta.id), meta.labels, dataset.labels);
      // Submission checks this; the failure is recorded like any other should the datasets change behind the API.
      if (!validationData) {
        throw await fail('unknown_labels', 'the validation dataset has labels the training dataset lacks');
      }
    }
    let baseRecord: ModelRecord | undefined;
    let base: tf.LayersModel | undefined;
    if (spec.baseModel) {
      baseRecord = await deps.models.get(tenant, spec.baseModel);
      if (!baseRecord)
        throw await fail('model_missing', `base model ${spec.baseModel} was deleted before the job ran`);
      base = await deps.models.load(tenant, spec.baseModel);
    }

    log.info({ dataset: dataset.id, rows: dataset.rows, baseModel: spec.baseModel }, 'training started');
    let result: TrainingResult;
    // A failure to report progress is the infrastructure's (Redis), not the job's: it is retried.
    let reportFailure: unknown;
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
        },
        {
          onProgress: async (progress) => {
            const { metrics, history, ...position } = progress;
            Object.assign(report, { progress: position, metrics, history });
            try {
              await job.updateProgress(report);
            } catch (error) {
              reportFailure = error;
              throw error;
            }
          },
          onEpoch: async (row) => void log.debug(row, 'epoch finished'),
          onLog: async (message) => void log.info(message),
        },
      );
    } catch (error) {
      if (error === reportFailure) throw error;
      log.error({ err: error }, 'training failed');
      const code = error instanceof TrainingDiverged ? error.code : 'training_error';
      throw await fail(code, (error as Error).message);
    }

    try {
      const modelId = modelIdOfJob(job.id!);
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
          jobId: job.id!,
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
      log.info(
        { modelId, metrics: result.metrics, featureCaching: result.featureCaching },
        'training finished',
      );
      return {
        modelId,
        metrics: result.metrics,
        history: result.history,
        backend,
        startedAt,
        featureCaching: result.featureCaching,
      };
    } finally {
      result.dispose();
    }
  };
}
