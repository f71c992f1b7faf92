/**
 * `npm start`: the whole service on one machine for a first look. Makes sure Redis answers (starting a local
 * redis-server under DATA_DIR/redis when needed), runs one training worker as a child process, and the API here.
 */
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from './config.js';
import { ensureLocalRedis } from './redis.js';
import { startApi } from './server.js';

const config = loadConfig();
const here = fileURLToPath(import.meta.url);
const workerEntry = path.join(path.dirname(here), '..', 'workers', `trainer${path.extname(here)}`);

let redis: ChildProcess | undefined;
let worker: ChildProcess | undefined;

function stopChildren() {
  worker?.kill('SIGTERM');
  redis?.kill('SIGTERM');
}

try {
  redis = await ensureLocalRedis(config.REDIS_URL, path.join(config.DATA_DIR, 'redis'));
  if (redis)
    console.log(
      `started redis-server for ${config.REDIS_URL} with its files in ${path.join(config.DATA_DIR, 'redis')}`,
    );
  worker = fork(workerEntry, { execArgv: process.execArgv, stdio: 'inherit' });
  worker.on('exit', (code, signal) => {
    if (code !== 0 && signal !== 'SIGTERM') console.error(`training worker exited (${code ?? signal})`);
  });
  process.on('exit', stopChildren);
  await startApi(config);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  stopChildren();
  process.exit(1);
}
