import * as tf from '@tensorflow/tfjs';
import type { Logger } from 'pino';
import type { CheckpointStore } from '../src/jobs/checkpoint-store.js';
import { estimateJobCost } from '../src/jobs/job-cost.js';
import { jobDataShape } from '../src/jobs/image-job-check.js';
import type { NewEvent } from '../src/jobs/job-events.js';
import type { JobSpec } from '../src/jobs/job-spec.js';
import type { TrainingProgress, TrainingResultValue } from '../src/queue/catalogue.js';
import { JobFailure } from './job-failure.js';
import type { RunDeps } from './run-deps.js';
import { loadInputs, type RunInputs } from './run-inputs.js';
import { loadBase } from './job-base.js';
import { storeModel } from './model-output.js';
import {
  CheckpointMismatch,
  train,
  TrainingDiverged,
  TrainingStopped,
  type TrainingCheckpoint,
  type TrainingHooks,
  type TrainingResult,
} from '../src/training/train.js';

export { JobFailure };

/** One attempt at a training job, as the worker hands it to the process that trains. */
export interface RunRequest {
  jobId: string;
  tenant: string;
  spec: JobSpec;
  attempt: number;
}

/** How a training run reports back and is told to stop; in another process, each call is a message. */
export interface RunChannel {
  /** Aborted with 'cancel', 'pause' or 'handoff': training stops at the next batch boundary. */
  signal: AbortSignal;
  progress(report: TrainingProgress): void;
  event(event: NewEvent): void;
}

const log = (message: string, level: 'info' | 'warn' = 'info'): NewEvent => ({
  type: 'log',
  data: { level, message },
});

/** One attempt as its steps see it: what it needs, what it was asked, where it reports, and its progress so far. */
interface Run {
  deps: RunDeps;
  request: RunRequest;
  channel: RunChannel;
  logger: Logger;
  report: TrainingProgress;
}

type LatestCheckpoint = Awaited<ReturnType<CheckpointStore['latest']>>;

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
  const run: Run = { deps, request, channel, logger, report };

  const inputs = await loadInputs(deps, request);
  const latest = await deps.checkpoints.latest(tenant, jobId);
  if (latest) reportResumedHistory(run, latest.checkpoint);
  const base = await loadBase(deps, request, inputs.baseRecord, latest?.checkpoint);
  const predictChunkRows = predictChunkRowsOf(deps, spec, inputs);
  logger.info(
    {
      dataset: inputs.dataset.id,
      rows: inputs.dataset.rows,
      baseModel: spec.baseModel,
      checkpoint: latest?.info.id,
      predictChunkRows,
    },
    'training started',
  );
  const graph = base?.graph ?? null;
  let result: TrainingResult;
  try {
    result = await trainWithHooks(run, inputs, base?.model, latest, predictChunkRows);
  } catch (error) {
    graph?.dispose();
    throw error;
  }

  try {
    const record = await storeModel(deps, request, inputs.dataset, result, { backend, graph });
    logger.info(
      { modelId: record.id, metrics: result.metrics, featureCaching: result.featureCaching },
      'training finished',
    );
    return {
      modelId: record.id,
      modelBytes: record.sizeBytes,
      metrics: result.metrics,
      history: result.history,
      backend,
      startedAt,
      featureCaching: result.featureCaching,
    };
  } finally {
    result.dispose();
    graph?.dispose();
  }
}

/** Until its first report, a resumed attempt shows the history it goes on from. */
function reportResumedHistory({ report, channel }: Run, checkpoint: TrainingCheckpoint): void {
  const history = checkpoint.state.history;
  const last = history.at(-1);
  const metrics = last
    ? { loss: last.loss, accuracy: last.accuracy, val_loss: last.val_loss, val_accuracy: last.val_accuracy }
    : {};
  Object.assign(report, { history, metrics });
  channel.progress(report);
}

/** Sized as at submission, where a job whose rows are too large to predict even one at a time was refused. */
function predictChunkRowsOf(deps: RunDeps, spec: JobSpec, { dataset, baseRecord }: RunInputs): number {
  return estimateJobCost(spec, jobDataShape(spec, dataset, baseRecord), baseRecord, deps.budget)
    .predictChunkRows;
}

/** Trains, reporting progress, epochs and logs on the channel and storing checkpoints as they come. */
async function trainWithHooks(
  run: Run,
  inputs: RunInputs,
  base: tf.LayersModel | undefined,
  latest: LatestCheckpoint,
  predictChunkRows: number,
): Promise<TrainingResult> {
  const { deps, request, channel } = run;
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
    return await train(
      {
        spec: request.spec,
        featureShape: inputs.dataset.featureShape,
        labels: inputs.dataset.labels,
        data: inputs.data,
        validationData: inputs.validationData,
        base,
        basePreprocessing: inputs.baseRecord?.preprocessing?.standardize ?? null,
        images: inputs.dataset.kind === 'image',
        basePixels: inputs.baseRecord?.preprocessing?.pixels ?? null,
        resume: latest?.checkpoint,
        checkpointEvery: deps.checkpointEvery,
        checkpointMinIntervalMs: deps.checkpointMinIntervalMs,
        progressIntervalMs: deps.progressIntervalMs,
        predictChunkRows,
        signal: channel.signal,
      },
      trainingHooks(run, infrastructure),
    );
  } catch (error) {
    if (error === hookFailure) throw error;
    throw await trainingError(run, error);
  }
}

/** The hooks that relay a run's progress to the channel; checkpoints are stored through `infrastructure`. */
function trainingHooks(
  { deps, request, channel, logger, report }: Run,
  infrastructure: (work: () => Promise<void>) => Promise<void>,
): TrainingHooks {
  const { tenant, jobId, attempt } = request;
  return {
    onProgress: async (progress) => {
      const { metrics, history, ...position } = progress;
      Object.assign(report, { progress: position, metrics, history });
      channel.progress(report);
    },
    onEpoch: async (row) => {
      logger.debug(row, 'epoch finished');
      channel.event({ type: 'epoch', data: { ...row } });
    },
    onLog: async (message, level = 'info') => {
      logger[level](message);
      channel.event(log(message, level));
    },
    onCheckpoint: (checkpoint) =>
      infrastructure(async () => {
        const info = await deps.checkpoints.write(tenant, jobId, checkpoint, attempt);
        channel.event({ type: 'checkpoint', data: { ...info } });
      }),
  };
}

/** What a run that training threw from ends with: a stop or a checkpoint mismatch as is, anything else a failure. */
async function trainingError({ deps, request, channel, logger }: Run, error: unknown): Promise<unknown> {
  if (error instanceof TrainingStopped) {
    logger.info({ reason: error.reason }, 'training stopped');
    return error;
  }
  if (error instanceof CheckpointMismatch) {
    // Unusable for this job: the next attempt starts from the first epoch.
    await deps.checkpoints.deleteAll(request.tenant, request.jobId);
    channel.event(log(`${error.message}; the job starts over from the first epoch`, 'warn'));
    return error;
  }
  logger.error({ err: error }, 'training failed');
  const code = error instanceof TrainingDiverged ? error.code : 'training_error';
  return new JobFailure(code, (error as Error).message);
}
