/**
 * The images' health check: `node dist/src/healthcheck.js api|worker` exits 0 when the process in the container
 * answers /health with 200: the API on PORT, a worker on WORKER_METRICS_PORT (503 while draining or cut off from
 * Redis). It reads the same environment as the process it checks.
 */
import { loadConfig } from './config.js';

const role = process.argv[2];
if (role !== 'api' && role !== 'worker') {
  console.error('usage: healthcheck api|worker');
  process.exit(2);
}
const config = loadConfig();
const port = role === 'api' ? config.PORT : config.WORKER_METRICS_PORT;
if (port === 0) {
  console.error(`${role === 'api' ? 'PORT' : 'WORKER_METRICS_PORT'} is 0: there is no /health to check`);
  process.exit(1);
}
try {
  const response = await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2500) });
  if (!response.ok) console.error(`/health: ${response.status} ${await response.text()}`);
  process.exit(response.ok ? 0 : 1);
} catch (error) {
  console.error(`/health: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
}
