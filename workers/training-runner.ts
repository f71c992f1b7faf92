import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import type { Config } from '../src/config.js';
import type { NewEvent } from '../src/jobs/job-events.js';
import type { TrainingProgress, TrainingResultValue } from '../src/queue/catalogue.js';
import type { BackendInfo } from '../src/tf/backend.js';
import { TrainingStopped } from '../src/training/train.js';
import { JobFailure, runTraining, type RunChannel, type RunDeps, type RunRequest } from './training-run.js';

/** Runs training attempts: in this process, or in training processes of their own. */
export interface TrainingRunner {
  run(request: RunRequest, channel: RunChannel): Promise<TrainingResultValue>;
  /** Ends any training at once (its process is killed); the runs reject. */
  kill(): void;
  close(): Promise<void>;
}

/** Trains in the worker's own process: for tests that count its tensors, and for debugging. */
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

const CHILD_ENTRY = fileURLToPath(
  new URL(`./train.child${import.meta.url.endsWith('.ts') ? '.ts' : '.js'}`, import.meta.url),
);

/**
 * Trains each job in a training process of its own (one per concurrent job, kept for the next job), so the
 * worker's event loop stays free: BullMQ renews its job locks and heartbeats go out however long a batch takes,
 * and a crash or out-of-memory kill takes only the training process down. Processes start with the worker's
 * configuration and select the same TF.js backend.
 */
export class ProcessRunner implements TrainingRunner {
  private readonly idle: ChildProcess[] = [];
  private readonly busy = new Set<ChildProcess>();

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
    this.busy.add(child);
    return new Promise<TrainingResultValue>((resolve, reject) => {
      const stop = () =>
        child.send({ type: 'stop', reason: String(channel.signal.reason) } satisfies ToTrainer);
      const settle = (gone: boolean) => {
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
    for (const child of [...this.busy, ...this.idle]) child.kill('SIGKILL');
  }

  /** Idle training processes exit when their channel closes; busy ones are left to their runs. */
  async close() {
    for (const child of this.idle.splice(0)) child.disconnect();
  }
}
