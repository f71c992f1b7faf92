/**
 * `npm start`: the whole service on one machine for a first look. Makes sure Redis answers (starting a local
 * redis-server under DATA_DIR/redis when needed), runs one training worker as a child process (restarted if it
 * dies), and the API here. On SIGTERM or Ctrl-C: the API closes, the worker hands its jobs back with a
 * checkpoint, then Redis stops.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfigOrExit, readDotEnv } from './config.js';
import { describeRedis, ensureLocalRedis } from './redis.js';
import { startApi } from './server.js';

const RESTARTS_PER_MINUTE = 5;

readDotEnv();
const config = loadConfigOrExit();
const here = fileURLToPath(import.meta.url);
const workerEntry = path.join(path.dirname(here), '..', 'workers', `trainer${path.extname(here)}`);

let redis: ChildProcess | undefined;
let worker: ChildProcess | undefined;
let stopping = false;
const restarts: number[] = [];

/** Signals a child and waits (bounded: the worker's drain bound and some) for it to exit. */
async function stop(child: ChildProcess | undefined): Promise<void> {
  const STOP_BOUND_MS = config.WORKER_DRAIN_TIMEOUT_MS + 10_000;
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_BOUND_MS);
  await exited;
  clearTimeout(timer);
}

async function stopChildren(): Promise<void> {
  stopping = true;
  await stop(worker);
  await stop(redis);
}

function startWorker(): void {
  // Its own process group: Ctrl-C reaches the launcher, which then stops the worker in order.
  worker = fork(workerEntry, { execArgv: process.execArgv, stdio: 'inherit', detached: true });
  worker.on('exit', (code, signal) => {
    if (stopping) return;
    const now = Date.now();
    restarts.push(now);
    while (restarts[0]! < now - 60_000) restarts.shift();
    if (restarts.length > RESTARTS_PER_MINUTE) {
      console.error(
        `the training worker exited ${restarts.length} times within a minute (last: ${code ?? signal}); stopping`,
      );
      process.kill(process.pid, 'SIGTERM');
      return;
    }
    console.error(`the training worker exited (${code ?? signal}); restarting it`);
    setTimeout(startWorker, 1000);
  });
}

try {
  redis = await ensureLocalRedis(config, path.join(config.DATA_DIR, 'redis'));
  if (redis)
    console.log(
      `started redis-server for ${describeRedis(config)} with its files in ${path.join(config.DATA_DIR, 'redis')}`,
    );
  startWorker();
  // Closing waits for the worker's drain and for Redis, with room to spare.
  await startApi(config, stopChildren, config.WORKER_DRAIN_TIMEOUT_MS + 25_000);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  await stopChildren();
  process.exit(1);
}
