/** Anything that holds tensors and releases them with `dispose()`: a tensor, an optimizer, early stopping. */
export interface Disposable {
  dispose(): void;
}

/**
 * What a step of training must release: some things whichever way it ends, others only if it fails, because on
 * success they are handed to the caller.
 */
export class DisposalScope {
  private readonly always: Array<() => void> = [];
  private readonly onFailure: Array<() => void> = [];

  /** Releases `release` when the scope ends, whichever way. */
  defer(release: () => void): void {
    this.always.push(release);
  }

  /** Disposes `item` when the scope ends, whichever way; returns it. */
  keep<T extends Disposable | null>(item: T): T {
    if (item) this.defer(() => item.dispose());
    return item;
  }

  /** Releases `release` only if the scope ends with an error. */
  ifFailed(release: () => void): void {
    this.onFailure.push(release);
  }

  /** Runs the releases due, the latest registered first, as resources are usually built on earlier ones. */
  close(failed: boolean): void {
    const due = failed ? [...this.always, ...this.onFailure] : [...this.always];
    due.reverse().forEach((release) => release());
  }
}

/** Runs `body` in a {@link DisposalScope} and closes it as `body` ends, rethrowing what it threw. */
export async function withDisposal<T>(body: (scope: DisposalScope) => Promise<T>): Promise<T> {
  const scope = new DisposalScope();
  let failed = true;
  try {
    const result = await body(scope);
    failed = false;
    return result;
  } finally {
    scope.close(failed);
  }
}
