/** The loss stopped being a finite number: retrying cannot help, a lower learning rate may. */
export class TrainingDiverged extends Error {
  readonly code = 'training_diverged';
}

/** Stop reasons that checkpoint first, so training can go on from there: a worker's hand-off, and a pause. */
export const CHECKPOINTED_STOPS: ReadonlySet<string> = new Set(['handoff', 'pause']);

/** Training stopped at a batch boundary because its signal was aborted; `reason` is the signal's reason. */
export class TrainingStopped extends Error {
  constructor(readonly reason: string) {
    super(`training stopped: ${reason}`);
  }
}
