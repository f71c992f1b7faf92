import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { childEntry } from '../src/child-process.js';
import type { Config } from '../src/config.js';
import type { NewEvent } from '../src/jobs/job-events.js';
import type { TrainingProgress, TrainingResultValue } from '../src/queue/catalogue.js';
import type { BackendInfo } from '../src/tf/backend.js';
import { CHECKPOINTED_STOPS, TrainingStopped } from '../src/training/train.js';
import type { RunDeps } from './run-deps.js';
import { JobFailure, runTraining, type RunChannel, type RunRequest } from './training-run.js';

/** Runs training attempts: in this process, or in training processes of their own. */
export interface TrainingRunner {
  run(request: RunRequest, channel: RunChannel): Promise<TrainingResultValue>;
  /** Ends any training at once (the worker's drain bound): its process is killed and its run rejects. */
  kill(): void;
  close(): Promise<void>;
}

/**
 * Trains in the worker's own process: for tests that count its tensors, and for debugging. A stop is honoured
 * at the next batch boundary however long that takes: there is no training process to kill.
 */
export class InlineRunner implements TrainingRunner {
  constructor(private readonly deps: RunDeps) {}
  run(request: RunRequest, channel: RunChannel) {
    return runTraining(this.deps, request, channel);
  }
  kill() {}
  async close() {}
}

/** An error as it crosses from the training process. */
interface SentError {
  name: string;
  message: string;
  code?: string;
  reason?: string;
}

export type ToTrainer = { type: 'run'; request: RunRequest } | { type: 'stop'; reason: string };
export type FromTrainer =
  | { type: 'ready'; backend: BackendInfo }
  | { type: 'progress'; report: TrainingProgress }
  | { type: 'event'; event: NewEvent }
  | { type: 'done'; result: TrainingResultValue; tensors: number }
  | { type: 'error'; error: SentError; tensors: number };

export function sendableError(error: unknown): SentError {
  if (error instanceof JobFailure) return { name: 'JobFailure', message: error.message, code: error.code };
  if (error instanceof TrainingStopped)
    return { name: 'TrainingStopped', message: error.message, reason: error.reason };
  return { name: (error as Error).name ?? 'Error', message: (error as Error).message ?? String(error) };
}

function receivedError(sent: SentError): Error {
  if (sent.name === 'JobFailure') return new JobFailure(sent.code ?? 'training_error', sent.message);
  if (sent.name === 'TrainingStopped') return new TrainingStopped(sent.reason ?? 'stop');
  return Object.assign(new Error(sent.message), { name: sent.name });
}

/** The training process died under a job: a crash or out of memory, so the job is retried. */
export class TrainingProcessExited extends Error {
  constructor(code: number | null, signal: string | null) {
    super(
      signal === 'SIGKILL'
        ? 'the training process was killed (out of memory?)'
        : `the training process exited (${signal ?? `code ${code}`})`,
    );
  }
}

/**
 * The training process did not stop within JOB_STOP_GRACE_MS of being asked (a batch too long to wait for), so it
 * was killed: the job stops as asked (`reason`: a cancel, or a lost lock), as if it had stopped at a batch
 * boundary without a checkpoint.
 */
export class TrainingKilled extends TrainingStopped {
  constructor(
    reason: string,
    readonly graceMs: number,
  ) {
    super(reason);
    this.message = `the training process had not stopped ${graceMs} ms after a ${reason} request, so it was killed`;
  }
}

const CHILD_ENTRY = fileURLToPath(childEntry(import.meta.url, 'train.child'));

/**
 * Trains each job in a training process of its own (one per concurrent job, kept for the next job), so the
 * worker's event loop stays free: BullMQ renews its job locks and heartbeats go out however long a batch takes,
 * and a crash or out-of-memory kill takes only the training process down. Processes start with the worker's
 * configuration and select the same TF.js backend.
 */
export class ProcessRunner implements TrainingRunner {
  private readonly idle: ChildProcess[] = [];
  /** Training processes running a job, each with how to kill it and end its run. */
  private readonly busy = new Map<ChildProcess, () => void>();

  constructor(
    private readonly config: Config,
    private readonly logger: Logger,
  ) {}

  /** Starts a training process ahead of the first job, so the first job does not wait for TF.js to load. */
  async warm(): Promise<BackendInfo> {
    const { child, backend } = await this.spawn();
    this.idle.push(child);
    return backend;
  }

  private spawn(): Promise<{ child: ChildProcess; backend: BackendInfo }> {
    // Each training process is a TensorFlow runtime of its own: with tfjs-node-gpu, one that grows its GPU memory
    // as needed rather than taking it all, so several can share a GPU.
    const env: NodeJS.ProcessEnv = { TF_FORCE_GPU_ALLOW_GROWTH: 'true', ...process.env };
    for (const [key, value] of Object.entries(this.config)) env[key] = String(value);
    const child = fork(CHILD_ENTRY, [], { execArgv: process.execArgv, env });
    child.on('error', (error) => this.logger.warn({ err: error }, 'training process error'));
    return new Promise((resolve, reject) => {
      const onMessage = (message: FromTrainer) => {
        if (message.type !== 'ready') return;
        child.off('exit', onExit);
        child.off('message', onMessage);
        child.on('exit', () => this.forget(child));
        resolve({ child, backend: message.backend });
      };
      const onExit = (code: number | null, signal: string | null) =>
        reject(new Error(`the training process failed to start (${signal ?? `exit code ${code}`})`));
      child.on('message', onMessage);
      child.once('exit', onExit);
    });
  }

  private forget(child: ChildProcess) {
    this.busy.delete(child);
    const at = this.idle.indexOf(child);
    if (at >= 0) this.idle.splice(at, 1);
  }

  async run(request: RunRequest, channel: RunChannel): Promise<TrainingResultValue> {
    const child = this.idle.pop() ?? (await this.spawn()).child;
    return new Promise<TrainingResultValue>((resolve, reject) => {
      let grace: NodeJS.Timeout | undefined;
      // A stop is honoured at the next batch boundary; a process still busy past the grace period is killed. Not
      // a hand-off or a pause: it has the worker's drain bound (WORKER_DRAIN_TIMEOUT_MS, past which the worker kills every
      // training process) to finish its batch and write the checkpoint it hands back, which a kill would cut.
      const stop = () => {
        const reason = String(channel.signal.reason);
        child.send({ type: 'stop', reason } satisfies ToTrainer);
        if (CHECKPOINTED_STOPS.has(reason)) return;
        grace ??= setTimeout(
          () => kill(reason, this.config.JOB_STOP_GRACE_MS),
          this.config.JOB_STOP_GRACE_MS,
        );
      };
      const kill = (reason: string, afterMs: number) => {
        settle(true);
        child.kill('SIGKILL');
        reject(new TrainingKilled(reason, afterMs));
      };
      const settle = (gone: boolean) => {
        clearTimeout(grace);
        child.off('message', onMessage);
        child.off('exit', onExit);
        channel.signal.removeEventListener('abort', stop);
        this.busy.delete(child);
        if (!gone) this.idle.push(child);
      };
      const onMessage = (message: FromTrainer) => {
        if (message.type === 'progress') channel.progress(message.report);
        else if (message.type === 'event') channel.event(message.event);
        else if (message.type === 'done' || message.type === 'error') {
          // Between jobs a training process holds no tensors; one that does is replaced rather than reused.
          settle(message.tensors > 0);
          if (message.tensors > 0) {
            this.logger.warn(
              { jobId: request.jobId, tensors: message.tensors },
              'training process kept tensors; replacing it',
            );
            child.disconnect();
          }
          if (message.type === 'done') resolve(message.result);
          else reject(receivedError(message.error));
        }
      };
      const onExit = (code: number | null, signal: string | null) => {
        settle(true);
        reject(new TrainingProcessExited(code, signal));
      };
      // At the drain bound, the run was asked to hand off (unless a cancel came first) that long ago.
      const drainBound = () => (channel.signal.aborted ? String(channel.signal.reason) : 'handoff');
      this.busy.set(child, () => kill(drainBound(), this.config.WORKER_DRAIN_TIMEOUT_MS));
      child.on('message', onMessage);
      child.on('exit', onExit);
      channel.signal.addEventListener('abort', stop, { once: true });
      child.send({ type: 'run', request } satisfies ToTrainer, (error) => {
        if (error) onExit(null, null);
      });
      if (channel.signal.aborted) stop();
    });
  }

  kill() {
    for (const killRun of [...this.busy.values()]) killRun();
    for (const child of this.idle) child.kill('SIGKILL');
  }

  /** Idle training processes exit when their channel closes; busy ones are left to their runs. */
  async close() {
    for (const child of this.idle.splice(0)) child.disconnect();
  }
}
