import type { Config } from '../config.js';
import { unprocessable } from '../errors.js';
import { PREDICT_CHUNK_ROWS } from '../training/evaluate.js';
import { architectureOf } from '../training/architectures/index.js';
import {
  costLayers,
  product,
  type BaseSummary,
  type CostLayer,
  type CostQuantity,
  type DataShape,
} from './cost-layers.js';
import type { JobSpec } from './job-spec.js';

export type { BaseSummary, DataShape } from './cost-layers.js';

/** What one job may cost: checked at submission, so a job that fits never fails for its size later. */
export interface JobBudget {
  maxParams: number;
  maxActivationBytes: number;
  maxBatchFlops: number;
}

export const jobBudget = (config: Config): JobBudget => ({
  maxParams: config.JOB_MAX_PARAMS,
  maxActivationBytes: config.JOB_MAX_ACTIVATION_BYTES,
  maxBatchFlops: config.JOB_MAX_BATCH_FLOPS,
});

/** What a job costs, worked out from its spec and its data's shape before it runs. */
export interface JobCost {
  /** Weights of the model trained: the base up to the cut and the head, or the model built from scratch. */
  params: number;
  /** The most weights trainable at once (a fine-tune phase unfreezes base layers). */
  trainableParams: number;
  /** Values one row produces on its way through the model: its input and every layer's output. */
  activationsPerRow: number;
  /** Rows evaluation and feature caching predict at once: as many as fit the budget, at most PREDICT_CHUNK_ROWS. */
  predictChunkRows: number;
  /** Bytes of activations held at once: a training batch keeps them and their gradients. */
  activationBytes: number;
  /** Floating-point operations of the largest step: a training batch (forward and backward) or a prediction chunk. */
  batchFlops: number;
  /** Whether the training batch (rather than a prediction chunk) sets the two figures above. */
  batchBound: { activationBytes: boolean; batchFlops: boolean };
  /** The batch as it trains: batchSize, or every row when there are fewer. */
  batchRows: number;
}

const BYTES_PER_VALUE = 4;

const sum = (of: CostLayer[], value: (layer: CostLayer) => number) =>
  of.reduce((n, layer) => n + value(layer), 0);

/** Which base layers train in each phase: the head phase by `freeze`, a fine-tune phase by `unfreeze`. */
function trainablePhases(spec: JobSpec, baseLayers: number): Array<(baseIndex: number) => boolean> {
  const transfer = spec.transfer;
  if (!transfer) return [() => true];
  const top = (n: number) => (i: number) => i >= baseLayers - n;
  const freeze = transfer.freeze;
  const phases = [freeze === 'all' ? top(0) : freeze === 'none' ? top(baseLayers) : top(freeze)];
  const fineTune = spec.hyperparameters.fineTune;
  if (fineTune) phases.push(top(fineTune.unfreeze ?? baseLayers));
  return phases;
}

/** One training step of a phase, per row: weights trained, activation values kept, forward and backward work. */
interface TrainingStep {
  trainableParams: number;
  values: number;
  flops: number;
}

/**
 * A training step runs each layer forward, then backward (about twice the forward work) from the loss down to the
 * lowest layer that trains, and keeps every activation for the backward pass. With the whole base frozen, the
 * head trains on features the base computed once (feature caching in src/training/train.ts): a step is the head's.
 */
function trainingSteps(spec: JobSpec, data: DataShape, layers: CostLayer[]): TrainingStep[] {
  const base = layers.filter((layer) => layer.baseIndex !== undefined);
  return trainablePhases(spec, base.length).map((trains) => {
    const training = (layer: CostLayer) => layer.baseIndex === undefined || trains(layer.baseIndex);
    const cached = base.length > 0 && !base.some(training);
    const step = cached ? layers.filter((layer) => layer.baseIndex === undefined) : layers;
    const input = cached ? base.at(-1)!.outputs : product(data.featureShape);
    const lowest = Math.max(
      step.findIndex((layer) => layer.params > 0 && training(layer)),
      0,
    );
    return {
      trainableParams: sum(layers.filter(training), (layer) => layer.params),
      values: input + sum(step, (layer) => layer.outputs),
      flops: sum(step, (layer) => layer.flops) + 2 * sum(step.slice(lowest), (layer) => layer.flops),
    };
  });
}

/**
 * The most values a prediction holds per row at once. Predicting, TF.js frees each layer's input once the layer
 * has run, so what is live is one layer's input and output: the largest pair of adjacent outputs. (A residual
 * block also keeps its input until its add; the stored summary is a list of layers, without the graph that says
 * which, so that tensor is not counted.)
 */
function predictValuesPerRow(data: DataShape, layers: CostLayer[]): number {
  const values = [product(data.featureShape), ...layers.map((layer) => layer.outputs)];
  return values.reduce((peak, v, i) => Math.max(peak, v + (values[i + 1] ?? 0)), 0);
}

/**
 * Rows per prediction chunk: {@link PREDICT_CHUNK_ROWS}, or fewer where that chunk would hold more activation
 * bytes, or take more operations, than one step may; at least one row.
 */
export function predictChunkRows(valuesPerRow: number, flopsPerRow: number, budget?: JobBudget): number {
  if (!budget) return PREDICT_CHUNK_ROWS;
  const fits = Math.min(
    Math.floor(budget.maxActivationBytes / Math.max(valuesPerRow * BYTES_PER_VALUE, 1)),
    Math.floor(budget.maxBatchFlops / Math.max(flopsPerRow, 1)),
  );
  return Math.max(1, Math.min(PREDICT_CHUNK_ROWS, fits));
}

/**
 * Estimates a job's cost per step: the training batch of each phase, and the prediction chunks evaluation and
 * feature caching run the model forward on. Chunks are sized to the budget when one is given (see
 * {@link predictChunkRows}), so only a chunk of one row can go over it.
 */
export function estimateJobCost(
  spec: JobSpec,
  data: DataShape,
  base?: BaseSummary,
  budget?: JobBudget,
): JobCost {
  const layers = costLayers(spec, data, base);
  const steps = trainingSteps(spec, data, layers);
  const most = (value: (step: TrainingStep) => number) => Math.max(...steps.map(value));
  const batchRows = Math.min(spec.hyperparameters.batchSize, data.rows);
  const forward = sum(layers, (layer) => layer.flops);
  const peak = predictValuesPerRow(data, layers);
  const chunkSize = predictChunkRows(peak, forward, budget);
  const chunkRows = Math.min(chunkSize, data.rows);
  // A training batch keeps every activation and its gradient; a prediction chunk one layer's input and output.
  const trainBytes = most((step) => step.values) * batchRows * BYTES_PER_VALUE * 2;
  const chunkBytes = peak * chunkRows * BYTES_PER_VALUE;
  const trainFlops = most((step) => step.flops) * batchRows;
  const chunkFlops = forward * chunkRows;
  return {
    params: sum(layers, (layer) => layer.params),
    trainableParams: most((step) => step.trainableParams),
    activationsPerRow: product(data.featureShape) + sum(layers, (layer) => layer.outputs),
    predictChunkRows: chunkSize,
    activationBytes: Math.max(trainBytes, chunkBytes),
    batchFlops: Math.max(trainFlops, chunkFlops),
    batchBound: { activationBytes: trainBytes >= chunkBytes, batchFlops: trainFlops >= chunkFlops },
    batchRows,
  };
}

/** One budget a job goes over, and the request fields that bring it down (JSON pointers). */
export interface Excess {
  quantity: CostQuantity;
  value: number;
  limit: number;
  setting: 'JOB_MAX_PARAMS' | 'JOB_MAX_ACTIVATION_BYTES' | 'JOB_MAX_BATCH_FLOPS';
  lower: string[];
}

/** The request fields that lower `quantity` for this job; batchSize only where the training batch sets it. */
function remedies(spec: JobSpec, quantity: CostQuantity, batchBound: boolean): string[] {
  const batch = batchBound ? ['/hyperparameters/batchSize'] : [];
  const a = spec.architecture;
  if (a) {
    const fields = architectureOf(a.type).lowers(quantity);
    return [...batch, ...fields.map((field) => `/architecture/${field}`)];
  }
  const fields = [...batch, '/transfer/cutLayer', '/transfer/head/hiddenUnits'];
  // Fewer trainable base layers shorten the backward pass.
  if (quantity === 'batchFlops') {
    fields.push('/transfer/freeze');
    if (spec.hyperparameters.fineTune) fields.push('/hyperparameters/fineTune/unfreeze');
  }
  return fields;
}

/** The budgets `cost` goes over, in the order params, activation memory, work per batch. */
export function budgetExcesses(spec: JobSpec, cost: JobCost, budget: JobBudget): Excess[] {
  const checks: Array<[CostQuantity, number, Excess['setting']]> = [
    ['params', budget.maxParams, 'JOB_MAX_PARAMS'],
    ['activationBytes', budget.maxActivationBytes, 'JOB_MAX_ACTIVATION_BYTES'],
    ['batchFlops', budget.maxBatchFlops, 'JOB_MAX_BATCH_FLOPS'],
  ];
  return checks
    .filter(([quantity, limit]) => cost[quantity] > limit)
    .map(([quantity, limit, setting]) => {
      const batchBound = quantity !== 'params' && cost.batchBound[quantity];
      return { quantity, value: cost[quantity], limit, setting, lower: remedies(spec, quantity, batchBound) };
    });
}

const MiB = 1024 * 1024;
const showBytes = (bytes: number) =>
  bytes >= 1024 * MiB ? `${(bytes / 1024 / MiB).toFixed(1)} GiB` : `${(bytes / MiB).toFixed(1)} MiB`;

function describe(excess: Excess, cost: JobCost): string {
  const over = (shown: string, limit: string) => `${shown}, over the limit of ${limit} (${excess.setting})`;
  const step = (bound: boolean) =>
    bound
      ? `a training batch of ${cost.batchRows} rows`
      : `a prediction chunk of ${cost.predictChunkRows} row${cost.predictChunkRows === 1 ? '' : 's'}`;
  switch (excess.quantity) {
    case 'params':
      return over(
        `the model has ${excess.value.toLocaleString('en')} weights`,
        excess.limit.toLocaleString('en'),
      );
    case 'activationBytes':
      return over(
        `${step(cost.batchBound.activationBytes)} holds ${showBytes(excess.value)} of activations`,
        showBytes(excess.limit),
      );
    case 'batchFlops':
      return over(
        `${step(cost.batchBound.batchFlops)} takes ${excess.value.toExponential(2)} floating-point operations`,
        excess.limit.toExponential(2),
      );
  }
}

/**
 * Refuses a job over its budget with a 422 `job_too_costly` that names each quantity over, its value and limit,
 * and the fields to lower (`lower`, JSON pointers into the request; `field` is the first of them).
 */
export function checkJobCost(spec: JobSpec, cost: JobCost, budget: JobBudget): void {
  const excesses = budgetExcesses(spec, cost, budget);
  const [first] = excesses;
  if (!first) return;
  const lower = [...new Set(excesses.flatMap((excess) => excess.lower))];
  const fields = lower.map((pointer) => pointer.slice(1).replaceAll('/', '.')).join(', ');
  throw unprocessable(
    'job_too_costly',
    `this job is over its cost budget: ${excesses.map((excess) => describe(excess, cost)).join('; ')}. Lower ${fields}`,
    {
      field: lower[0],
      quantity: first.quantity,
      value: first.value,
      limit: first.limit,
      lower,
      exceeded: excesses,
      cost: {
        params: cost.params,
        trainableParams: cost.trainableParams,
        activationBytes: cost.activationBytes,
        batchFlops: cost.batchFlops,
      },
    },
  );
}
