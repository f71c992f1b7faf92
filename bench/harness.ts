import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import net, { type AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Redis } from 'ioredis';
import app, { serverOptions } from '../src/app.js';
import { hashKey, newKey } from '../src/auth/api-keys.js';
import { loadConfig, type Config } from '../src/config.js';
import { createRedis } from '../src/redis.js';
import { selectBackend, type BackendInfo } from '../src/tf/backend.js';

/** A bench run's own Redis key prefixes and DATA_DIR, and what closes them. */
export interface BenchRun {
  config: Config;
  prefix: string;
  /** Redis, for the bench's own reads. */
  admin: Redis;
  /** Headers that authenticate as the run's own admin key. */
  headers: { authorization: string };
  /** Called in reverse order by `cleanup`. */
  closers: Array<() => Promise<unknown>>;
  /** Closes everything, deletes every key under the run's prefixes and its DATA_DIR; once, however the run ends. */
  cleanup: () => Promise<void>;
}

/**
 * Starts a bench run under a fresh key prefix and temp DATA_DIR. `extraPrefixes` are further key prefixes the run
 * writes under and are deleted with it.
 */
export async function startBenchRun(
  name: string,
  overrides: Parameters<typeof loadConfig>[0] = {},
  extraPrefixes: (prefix: string) => string[] = () => [],
): Promise<BenchRun> {
  const prefix = `bench-${name}-${randomBytes(4).toString('hex')}`;
  const dataDir = await fsp.mkdtemp(path.join(os.tmpdir(), `finetuned-bench-${name}-`));
  const key = newKey();
  const keys = [{ id: 'bench', tenant: 'default', scopes: ['admin'], sha256: hashKey(key) }];
  const config = loadConfig({
    QUEUE_PREFIX: prefix,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    API_KEYS: JSON.stringify(keys),
    RATE_LIMIT_PER_MINUTE: 100_000_000,
    ...overrides,
  });
  const admin = createRedis(config, 'producer');
  const closers: Array<() => Promise<unknown>> = [];
  let cleaning: Promise<void> | undefined;
  const cleanup = () =>
    (cleaning ??= (async () => {
      for (const close of closers.reverse()) await close().catch((error: unknown) => console.error(error));
      for (const under of [prefix, ...extraPrefixes(prefix)]) {
        let cursor = '0';
        do {
          const [next, keys] = await admin.scan(cursor, 'MATCH', `${under}:*`, 'COUNT', 1000);
          if (keys.length > 0) await admin.unlink(...keys);
          cursor = next;
        } while (cursor !== '0');
      }
      await admin.quit();
      await fsp.rm(dataDir, { recursive: true, force: true });
    })());
  process.once('SIGINT', () => void cleanup().finally(() => process.exit(130)));
  return { config, prefix, admin, headers: { authorization: `Bearer ${key}` }, closers, cleanup };
}

/** Nearest-rank percentile. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

export const median = (values: number[]) => percentile(values, 50);

/** The API on a real port in this process, as `npm run start:api` builds it; closed with the run. */
export async function listenApi(
  run: BenchRun,
): Promise<{ server: FastifyInstance; base: string; backend: BackendInfo }> {
  const backend = await selectBackend(run.config.TFJS_BACKEND);
  const server = Fastify(serverOptions(run.config, false));
  await server.register(app, { config: run.config, backend });
  await server.listen({ port: 0, host: '127.0.0.1' });
  run.closers.push(() => server.close());
  return { server, base: `http://127.0.0.1:${(server.server.address() as AddressInfo).port}`, backend };
}

/** A process's /proc status, or undefined once it has gone. */
export async function processStatus(pid: number): Promise<string | undefined> {
  return fsp.readFile(`/proc/${pid}/status`, 'utf8').catch(() => undefined);
}

/** A `kB` field of a /proc status (VmRSS, VmHWM), in bytes. */
export const statusBytes = (text: string | undefined, name: string) =>
  Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(text ?? '')?.[1] ?? 0) * 1024;

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/**
 * The API as `npm run start:api` runs it, in a process of its own so that its memory is its own, with the run's
 * Redis prefix, DATA_DIR and keys. Killed with the run.
 */
export async function startApiProcess(run: BenchRun): Promise<{ base: string; child: ChildProcess }> {
  const port = await freePort();
  const childEnv: NodeJS.ProcessEnv = {
    ...process.env,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
  };
  for (const key of ['REDIS_URL', 'QUEUE_PREFIX', 'DATA_DIR', 'API_KEYS', 'INFERENCE_HOSTS'] as const)
    childEnv[key] = String(run.config[key]);
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/server.ts'], {
    env: childEnv,
    stdio: 'inherit',
  });
  run.closers.push(async () => void child.kill());
  const base = `http://127.0.0.1:${port}`;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`the API exited (${child.exitCode})`);
    if ((await fetch(`${base}/health`).catch(() => undefined))?.status === 200) return { base, child };
    await sleep(200);
  }
}

/** The first `perClass` rows of each digit from the bundled CSV: enough for a one-epoch job. */
export function tinyDigitsCsv(perClass = 10): string {
  const csv = fs.readFileSync(new URL('../datasets/digits-8x8.csv', import.meta.url), 'utf8');
  const [header, ...lines] = csv.trim().split('\n');
  const taken = new Map<string, number>();
  const kept = lines.filter((line) => {
    const label = line.slice(0, line.indexOf(','));
    taken.set(label, (taken.get(label) ?? 0) + 1);
    return taken.get(label)! <= perClass;
  });
  return `${header!.trim()}\n${kept.map((line) => line.trim()).join('\n')}\n`;
}

/**
 * A training worker process (`npm run start:worker`) on the run's prefix and DATA_DIR, stopped with the run (its
 * drain first); returns once `base`'s GET /v1/workers lists it.
 */
export async function startWorkerProcess(run: BenchRun, base: string) {
  const env: NodeJS.ProcessEnv = { ...process.env, LOG_LEVEL: 'warn' };
  delete env.NODE_TEST_CONTEXT;
  for (const key of ['REDIS_URL', 'QUEUE_PREFIX', 'DATA_DIR', 'TFJS_BACKEND'] as const)
    env[key] = String(run.config[key]);
  const child = spawn(process.execPath, ['--import', 'tsx', 'workers/trainer.ts'], {
    cwd: fileURLToPath(new URL('..', import.meta.url)),
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = once(child, 'exit');
  const alive = () => child.exitCode === null && child.signalCode === null;
  run.closers.push(async () => {
    if (!alive()) return;
    child.kill('SIGTERM');
    if (!(await Promise.race([exited.then(() => true), sleep(30_000, false, { ref: false })]))) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  const started = performance.now();
  for (;;) {
    if (!alive()) throw new Error(`the worker exited while starting:\n${output}`);
    const response = await fetch(`${base}/v1/workers`, { headers: run.headers });
    const listed = (await response.json()) as { items: Array<{ pid: number }> };
    if (listed.items.some((worker) => worker.pid === child.pid))
      return { child, alive, output: () => output };
    if (performance.now() - started > 120_000) throw new Error(`no worker listed after 120 s:\n${output}`);
    await sleep(50);
  }
}
