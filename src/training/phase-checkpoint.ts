import type * as tf from '@tensorflow/tfjs';
import type { CheckpointState } from './checkpoint.js';
import type { EarlyStopping } from './early-stopping.js';
import { modelVariables } from './model.js';
import type { PhasePlan, TrainingRun } from './phase-loop.js';

/** Where a phase stands: the part of a checkpoint's state that its loop keeps. */
export type PhasePosition = Pick<
  CheckpointState,
  'phaseEpochsDone' | 'phaseDone' | 'batchesDone' | 'partial' | 'rng'
>;

/**
 * Hands the run's checkpoint hook the phase at `position`, with the run's state, the whole model's weights, early
 * stopping's best weights and Adam's; training waits for the hook. The tensors are the run's own, but for the
 * optimizer's iteration count, a new scalar disposed once the hook returns.
 */
export async function writePhaseCheckpoint(
  run: TrainingRun,
  plan: PhasePlan,
  opt: tf.Optimizer,
  stopper: EarlyStopping | null,
  position: PhasePosition,
): Promise<void> {
  run.pace.lastCheckpointAt = Date.now();
  if (!run.hooks.onCheckpoint) return;
  const optimizerWeights = await opt.getWeights();
  try {
    await run.hooks.onCheckpoint({
      state: {
        phase: plan.phase,
        ...position,
        partial: { ...position.partial },
        dropoutSteps: run.dropoutSteps.value,
        history: [...run.history],
        restoredRow: run.restoredRow,
        standardization: run.standardization,
        pixels: run.pixels,
        earlyStopping: stopper?.state() ?? null,
      },
      weights: modelVariables(run.model).map((v) => v.read()),
      bestWeights: stopper?.bestWeights ?? null,
      optimizer: optimizerWeights,
    });
  } finally {
    // The moment estimates are the optimizer's own variables.
    optimizerWeights[0]?.tensor.dispose();
  }
}
