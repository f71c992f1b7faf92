import { UnrecoverableError } from 'bullmq';

/** A failure that retrying cannot fix: the job fails at once with this code. */
export class JobFailure extends UnrecoverableError {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}
