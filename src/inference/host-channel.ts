import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import { childEntry } from '../child-process.js';
import type { Config } from '../config.js';
import type { FromHost, ToHost } from './inference-protocol.js';

const HOST_ENTRY = childEntry(import.meta.url, 'inference.host');

/** How a host is reached: a worker thread or a child process, behind the same two calls. */
export interface HostChannel {
  send(message: ToHost, transfer?: ArrayBuffer[]): void;
  stop(): Promise<void>;
}

export interface ChannelOptions {
  isolation: 'thread' | 'process';
  config: Config;
  logger: Pick<Logger, 'error'>;
  onMessage: (message: FromHost) => void;
  /** Called once when the host is gone, with why (an exit code or a signal). */
  onExit: (why: string) => void;
}

/** Starts one inference host, as a thread or a process. */
export function openChannel(options: ChannelOptions): HostChannel {
  return options.isolation === 'thread' ? openThread(options) : openProcess(options);
}

function openThread({ config, logger, onMessage, onExit }: ChannelOptions): HostChannel {
  const worker = HOST_ENTRY.pathname.endsWith('.ts')
    ? // Running from source: the thread registers the TypeScript loader before it imports the host.
      new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))})` +
          `.then(({ register }) => { register(); return import(${JSON.stringify(HOST_ENTRY.href)}); })`,
        { eval: true, workerData: { config } },
      )
    : new Worker(HOST_ENTRY, { workerData: { config } });
  worker.on('message', onMessage);
  worker.on('error', (error) => logger.error({ err: error }, 'inference thread failed'));
  worker.on('exit', (code) => onExit(`exit code ${code}`));
  return {
    send: (message, transfer = []) => worker.postMessage(message, transfer),
    stop: async () => void (await worker.terminate()),
  };
}

function openProcess({ config, logger, onMessage, onExit }: ChannelOptions): HostChannel {
  // Each process is a TensorFlow runtime of its own: with tfjs-node-gpu, one that grows its GPU memory as needed.
  const env: NodeJS.ProcessEnv = { TF_FORCE_GPU_ALLOW_GROWTH: 'true', ...process.env };
  for (const [key, value] of Object.entries(config)) env[key] = String(value);
  const child = fork(fileURLToPath(HOST_ENTRY), [], {
    // The API's loader flags, not its debugger: a second process on the same inspector port would fail.
    execArgv: process.execArgv.filter((flag) => !flag.startsWith('--inspect')),
    env,
    serialization: 'advanced',
  });
  child.on('message', onMessage);
  child.on('error', (error) => logger.error({ err: error }, 'inference process failed'));
  child.on('exit', (code, signal) => onExit(signal ?? `exit code ${code}`));
  return {
    send: (message) => {
      if (child.connected) child.send(message);
    },
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.disconnect();
        // A host busy in a long batch or load is not waited for.
        setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
      }),
  };
}
