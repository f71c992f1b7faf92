import Fastify, { type FastifyInstance } from 'fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import app, { serverOptions } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import { selectBackend } from '../../src/tf/backend.js';
import { withTestCredentials } from './app.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** The API on a real port in this process; requests without credentials get the test key's (see buildApp). */
export async function listen(
  config: Config,
  { credentials = true }: { credentials?: boolean } = {},
): Promise<{ server: FastifyInstance; base: string }> {
  const backend = await selectBackend(config.TFJS_BACKEND);
  const server = Fastify(serverOptions(config, false));
  if (credentials) withTestCredentials(server);
  await server.register(app, { config, backend });
  await server.listen({ port: 0, host: '127.0.0.1' });
  const { port } = server.server.address() as AddressInfo;
  return { server, base: `http://127.0.0.1:${port}` };
}

/** A port nothing listens on right now. */
export async function freePort(): Promise<number> {
  const server = net.createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  server.close();
  await once(server, 'close');
  return port;
}

export interface Spawned {
  child: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
  /** Resolves with its exit code and signal. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Kills it (SIGKILL unless told otherwise) if it still runs, and waits for it. */
  kill: (signal?: NodeJS.Signals) => Promise<void>;
}

/**
 * A child process of the test, its output kept. It inherits this process's environment and `env` on top, but not
 * the test runner's marker: it is a program under test, not a test reporting to this runner.
 */
export function spawnChild(
  command: string,
  args: string[],
  { cwd = ROOT, env = {} }: { cwd?: string; env?: Record<string, string | number> } = {},
): Spawned {
  const inherited = { ...process.env };
  delete inherited.NODE_TEST_CONTEXT;
  const child = spawn(command, args, {
    cwd,
    env: { ...inherited, ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
  return {
    child,
    output: () => output,
    exited,
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill(signal);
        await exited;
      }
    },
  };
}

/** A real worker process (workers/trainer.ts) on the test's Redis (connection and prefix) and data directory. */
export function spawnWorker(config: Config, env: Record<string, string | number> = {}): Spawned {
  return spawnChild(process.execPath, ['--import', 'tsx', 'workers/trainer.ts'], {
    env: {
      DATA_DIR: config.DATA_DIR,
      QUEUE_PREFIX: config.QUEUE_PREFIX,
      REDIS_URL: config.REDIS_URL,
      REDIS_TLS_CA_FILE: config.REDIS_TLS_CA_FILE,
      REDIS_SENTINELS: config.REDIS_SENTINELS,
      REDIS_SENTINEL_NAME: config.REDIS_SENTINEL_NAME,
      REDIS_SENTINEL_USERNAME: config.REDIS_SENTINEL_USERNAME,
      REDIS_SENTINEL_PASSWORD: config.REDIS_SENTINEL_PASSWORD,
      LOG_LEVEL: 'warn',
      TFJS_BACKEND: 'auto',
      CHECKPOINT_MIN_INTERVAL_MS: config.CHECKPOINT_MIN_INTERVAL_MS,
      ...env,
    },
  });
}

/** Polls `check` every 50 ms until it returns a value other than undefined; fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(50);
  }
}
