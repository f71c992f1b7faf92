/** The loss stopped being a finite number: retrying cannot help, a lower learning rate may. */
export class TrainingDiverged extends Error {
  readonly code = 'training_diverged';
}

/** Stop reasons that checkpoint first, so training can go on from there: a worker's hand-off, and a pause. */
export const CHECKPOINTED_STOPS: ReadonlySet<string> = new Set(['handoff', 'pause']);

/**
 * Stop reasons that end training as it stands, at the end of the epoch under way, as if it had run its course:
 * a sweep stopping a trial that fell behind. The run goes on to evaluate and store its model.
 */
export const FINISHING_STOPS: ReadonlySet<string> = new Set(['prune']);

/** Whether the signal asks training to finish where it is (see {@link FINISHING_STOPS}). */
export const finishing = (signal: AbortSignal | undefined) =>
  signal?.aborted === true && FINISHING_STOPS.has(String(signal.reason));

/** Whether the signal asks training to stop at the batch it is at: aborted, for any reason but a finishing one. */
export const stopping = (signal: AbortSignal | undefined) => signal?.aborted === true && !finishing(signal);

/** Training stopped at a batch boundary because its signal was aborted; `reason` is the signal's reason. */
export class TrainingStopped extends Error {
  constructor(readonly reason: string) {
    super(`training stopped: ${reason}`);
  }
}
