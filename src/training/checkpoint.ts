import * as tf from '@tensorflow/tfjs';
import type { BatchSums } from './tasks.js';
import type { PixelScaling } from '../models/preprocessing.js';
import type { RngState, Standardization } from './data.js';
import type { EarlyStoppingState } from './early-stopping.js';
import { modelVariables } from './model.js';
import type { EpochRow, Phase } from './progress.js';

/** Where training stands, in plain values: everything but the tensors of a checkpoint. */
export interface CheckpointState {
  phase: Phase;
  /** Epochs finished in this phase. */
  phaseEpochsDone: number;
  /** The phase ended (all epochs, or early stopping) and only its wrap-up remains. */
  phaseDone: boolean;
  /** Batches finished of the epoch under way; 0 at an epoch boundary. */
  batchesDone: number;
  /** Sums over the finished batches of the epoch under way, weighted by batch size. */
  partial: BatchSums;
  /** The shuffling RNG before the shuffle of the epoch under way (or the next one). */
  rng: RngState;
  dropoutSteps: number;
  history: EpochRow[];
  /** The best epoch early stopping restored in an earlier phase. */
  restoredRow: EpochRow | null;
  standardization: Standardization | null;
  /** The scaling of every input value before it (absent in checkpoints that predate it: none). */
  pixels?: PixelScaling | null;
  earlyStopping: EarlyStoppingState | null;
}

/**
 * A resumable snapshot of training. The tensors handed to `onCheckpoint` belong to the training run and are
 * valid only until the hook returns.
 */
export interface TrainingCheckpoint {
  state: CheckpointState;
  /** The whole model's weights, layer by layer (see {@link modelVariables}). */
  weights: tf.Tensor[];
  /** Early stopping's best weights, when it keeps them. */
  bestWeights: tf.Tensor[] | null;
  /** Adam's state: the iteration count, then the first and the second moment estimates. */
  optimizer: Array<{ name: string; tensor: tf.Tensor }>;
}

/** A checkpoint that does not fit the model being resumed. */
export class CheckpointMismatch extends Error {
  readonly code = 'checkpoint_mismatch';
}

/** Throws unless `tensors` have the shapes of `expected`, in order. */
function checkShapes(what: string, tensors: tf.Tensor[], expected: number[][]): void {
  const bad =
    tensors.length !== expected.length || tensors.some((t, i) => !tf.util.arraysEqual(t.shape, expected[i]!));
  if (bad) throw new CheckpointMismatch(`the checkpoint's ${what} do not fit the model being trained`);
}

/** Puts a checkpoint's weights into the model; its optimizer and early-stopping state go in per phase. */
export function restoreWeights(model: tf.LayersModel, checkpoint: TrainingCheckpoint): void {
  const variables = modelVariables(model);
  checkShapes(
    'weights',
    checkpoint.weights,
    variables.map((v) => v.shape as number[]),
  );
  variables.forEach((v, i) => v.write(checkpoint.weights[i]!));
}

/** Puts a checkpoint's Adam state into the optimizer of the phase it was taken in. */
export async function restoreOptimizer(
  opt: tf.Optimizer,
  fitModel: tf.LayersModel,
  checkpoint: TrainingCheckpoint,
): Promise<void> {
  const trainable = fitModel.trainableWeights.map((w) => w.shape as number[]);
  const moments = checkpoint.optimizer.slice(1).map((w) => w.tensor);
  // A phase stopped before its first batch has no moment estimates yet.
  if (moments.length > 0) checkShapes('optimizer state', moments, [...trainable, ...trainable]);
  await opt.setWeights(checkpoint.optimizer);
}

const MAGIC = Buffer.from('FTCKPT1\n');

type Group = 'weights' | 'bestWeights' | 'optimizer';

interface TensorEntry {
  group: Group;
  name: string;
  shape: number[];
  dtype: 'float32' | 'int32';
  byteLength: number;
}

interface Header {
  state: CheckpointState;
  tensors: TensorEntry[];
}

/** A checkpoint file that is not one, or was cut short. */
export class CorruptCheckpoint extends Error {
  readonly code = 'corrupt_checkpoint';
}

/**
 * Serializes a checkpoint into one buffer, so that one atomic write stores all of it: a magic line, the
 * header's length (u32 LE), the JSON header (state and tensor table), then the tensors' bytes in table order.
 */
export async function encodeCheckpoint(checkpoint: TrainingCheckpoint): Promise<Buffer> {
  const named: Array<{ group: Group; name: string; tensor: tf.Tensor }> = [
    ...checkpoint.weights.map((tensor, i) => ({ group: 'weights' as const, name: String(i), tensor })),
    ...(checkpoint.bestWeights ?? []).map((tensor, i) => ({
      group: 'bestWeights' as const,
      name: String(i),
      tensor,
    })),
    ...checkpoint.optimizer.map(({ name, tensor }) => ({ group: 'optimizer' as const, name, tensor })),
  ];
  const tensors: TensorEntry[] = [];
  const bodies: Buffer[] = [];
  for (const { group, name, tensor } of named) {
    if (tensor.dtype !== 'float32' && tensor.dtype !== 'int32') {
      throw new Error(`cannot checkpoint a ${tensor.dtype} tensor (${group} ${name})`);
    }
    const values = (await tensor.data()) as Float32Array | Int32Array;
    const body = Buffer.from(values.buffer, values.byteOffset, values.byteLength);
    tensors.push({ group, name, shape: tensor.shape, dtype: tensor.dtype, byteLength: body.byteLength });
    bodies.push(body);
  }
  const header = Buffer.from(JSON.stringify({ state: checkpoint.state, tensors } satisfies Header));
  const length = Buffer.alloc(4);
  length.writeUInt32LE(header.byteLength);
  return Buffer.concat([MAGIC, length, header, ...bodies]);
}

/** Releases a checkpoint's tensors. */
export function disposeCheckpoint(checkpoint: TrainingCheckpoint | undefined): void {
  if (!checkpoint) return;
  tf.dispose([
    ...checkpoint.weights,
    ...(checkpoint.bestWeights ?? []),
    ...checkpoint.optimizer.map((w) => w.tensor),
  ]);
}

/**
 * Reads a checkpoint written by {@link encodeCheckpoint}; the caller owns (and disposes) its tensors. Anything
 * that does not read as a whole checkpoint is a {@link CorruptCheckpoint}, with nothing left allocated.
 */
export function decodeCheckpoint(buffer: Buffer): TrainingCheckpoint {
  if (buffer.byteLength < MAGIC.byteLength + 4 || !buffer.subarray(0, MAGIC.byteLength).equals(MAGIC)) {
    throw new CorruptCheckpoint('not a checkpoint file');
  }
  const headerLength = buffer.readUInt32LE(MAGIC.byteLength);
  let offset = MAGIC.byteLength + 4;
  if (offset + headerLength > buffer.byteLength) throw new CorruptCheckpoint('checkpoint header cut short');
  let header: Header;
  try {
    header = JSON.parse(buffer.subarray(offset, offset + headerLength).toString('utf8')) as Header;
  } catch {
    throw new CorruptCheckpoint('checkpoint header is not JSON');
  }
  offset += headerLength;
  const expected = header.tensors.reduce((n, entry) => n + entry.byteLength, offset);
  if (expected !== buffer.byteLength) {
    throw new CorruptCheckpoint(`checkpoint holds ${buffer.byteLength} bytes, its header names ${expected}`);
  }
  const checkpoint: TrainingCheckpoint = {
    state: header.state,
    weights: [],
    bestWeights: header.tensors.some((t) => t.group === 'bestWeights') ? [] : null,
    optimizer: [],
  };
  try {
    for (const entry of header.tensors) {
      // Copied out, so the typed array is aligned and the tensor does not pin the whole file.
      const bytes = buffer.subarray(offset, offset + entry.byteLength);
      offset += entry.byteLength;
      const copy = new Uint8Array(bytes).buffer;
      const values = entry.dtype === 'int32' ? new Int32Array(copy) : new Float32Array(copy);
      const tensor = tf.tensor(values, entry.shape, entry.dtype);
      if (entry.group === 'optimizer') checkpoint.optimizer.push({ name: entry.name, tensor });
      else checkpoint[entry.group]!.push(tensor);
    }
  } catch (error) {
    disposeCheckpoint(checkpoint);
    throw new CorruptCheckpoint(`checkpoint tensors do not read: ${(error as Error).message}`);
  }
  return checkpoint;
}
