import Fastify, { type FastifyInstance } from 'fastify';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
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

export interface WorkerProcess {
  child: ChildProcess;
  /** Everything it printed so far. */
  output: () => string;
  /** Resolves with its exit code and signal. */
  exited: Promise<[number | null, NodeJS.Signals | null]>;
  /** Kills it (SIGKILL) if it still runs, and waits for it. */
  kill: () => Promise<void>;
}

/** A real worker process (workers/trainer.ts) on the test's Redis (connection and prefix) and data directory. */
export function spawnWorker(config: Config, env: Record<string, string | number> = {}): WorkerProcess {
  // The child is a worker, not a test: it must not think it reports to this test runner.
  const inherited = { ...process.env };
  delete inherited.NODE_TEST_CONTEXT;
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/trainer.ts'], {
    cwd: ROOT,
    env: {
      ...inherited,
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
      ...Object.fromEntries(Object.entries(env).map(([k, v]) => [k, String(v)])),
    },
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
    kill: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGKILL');
        await exited;
      }
    },
  };
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
