/**
 * The Docker images and the compose file, checked as far as a machine without a Docker engine allows: the
 * Dockerfile through a linter and its structure, the compose file through `docker-compose config` and its
 * structure, the Redis config through redis-server itself, and the images' commands (CMD and HEALTHCHECK, with
 * the images' environment) run from a fresh build.
 */
import { DockerfileParser, type Instruction } from 'dockerfile-ast';
import { validate, ValidationSeverity } from 'dockerfile-utils';
import { Redis } from 'ioredis';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import YAML from 'yaml';
import { ConfigSchema, loadConfig } from '../src/config.js';
import { onPath } from '../src/redis.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';
import { apiClient, trainAndPredict } from './helpers/http.js';
import { freePort, spawnChild, waitFor, type Spawned } from './helpers/processes.js';
import { startRedisServer } from './helpers/redis-servers.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DOCKERFILE = path.join(ROOT, 'docker/Dockerfile');
const TARGETS = ['api', 'worker', 'worker-gpu'] as const;
/** Variables the images set that are not the service's own configuration. */
const FOREIGN_ENV = new Set([
  'NODE_ENV',
  'TF_FORCE_GPU_ALLOW_GROWTH',
  'CUDA_CACHE_PATH',
  'CUDA_CACHE_MAXSIZE',
]);

interface Stage {
  name: string;
  base: string;
  instructions: Instruction[];
}

/** The Dockerfile's stages in order, with build arguments in FROM lines resolved to their defaults. */
async function readStages(): Promise<Map<string, Stage>> {
  const content = await fs.readFile(DOCKERFILE, 'utf8');
  const dockerfile = DockerfileParser.parse(content);
  const args = new Map(
    dockerfile
      .getInitialARGs()
      .flatMap((arg) => arg.getProperties())
      .map((property) => [property.getName(), property.getValue() ?? ''] as const),
  );
  const stages = new Map<string, Stage>();
  let current: Stage | undefined;
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', , name = `#${stages.size}`] = (instruction.getArgumentsContent() ?? '').split(/\s+/);
      const base = image.replace(/^\$\{(\w+)\}$/, (_, arg: string) => args.get(arg) ?? '');
      current = { name, base, instructions: [] };
      stages.set(name, current);
    } else {
      current?.instructions.push(instruction);
    }
  }
  return stages;
}

/** The Dockerfile, parsed once for every test here (on first use). */
let parsed: Promise<Map<string, Stage>> | undefined;
const stagesOnce = () => (parsed ??= readStages());

/** A target and the stages it is built FROM, the target last. */
function chainOf(stages: Map<string, Stage>, target: string): Stage[] {
  const stage = stages.get(target);
  assert.ok(stage, `the Dockerfile has a stage ${target}`);
  return stages.has(stage.base) ? [...chainOf(stages, stage.base), stage] : [stage];
}

const instructionsOf = (chain: Stage[], keyword: string) =>
  chain.flatMap((stage) => stage.instructions).filter((instruction) => instruction.getKeyword() === keyword);

/** The environment an image's processes start with (its ENV instructions, later ones winning). */
function imageEnv(chain: Stage[]): Record<string, string> {
  const env: Record<string, string> = {};
  for (const instruction of instructionsOf(chain, 'ENV')) {
    // ENV a=1 b=2, possibly over several lines.
    const content = (instruction.getArgumentsContent() ?? '').replace(/\\\n/g, ' ');
    for (const match of content.matchAll(/(\w+)=(\S*)/g)) env[match[1]!] = match[2]!;
  }
  return env;
}

/** The exec form of a CMD, or of a HEALTHCHECK's CMD. */
function execForm(instruction: Instruction | undefined): string[] {
  const content = instruction?.getArgumentsContent() ?? '';
  const json = /(\[.*\])\s*$/.exec(content)?.[1];
  assert.ok(json, `exec form in ${instruction?.getKeyword()} ${content}`);
  return JSON.parse(json) as string[];
}

describe('Docker images', () => {
  it('the Dockerfile passes the linter with every check an error', async () => {
    const content = await fs.readFile(DOCKERFILE, 'utf8');
    const strict = Object.fromEntries(
      [
        'deprecatedMaintainer',
        'directiveCasing',
        'emptyContinuationLine',
        'instructionCasing',
        'instructionCmdMultiple',
        'instructionEntrypointMultiple',
        'instructionHealthcheckMultiple',
        'instructionJSONInSingleQuotes',
        'instructionWorkdirRelative',
      ].map((check) => [check, ValidationSeverity.ERROR]),
    );
    const problems = validate(content, strict).map(
      (d) => `line ${d.range.start.line + 1}: ${typeof d.message === 'string' ? d.message : d.message.value}`,
    );
    assert.deepEqual(problems, []);
  });

  it('each image is multi-stage, runs as a user other than root with production dependencies only, and has a health check and a command', async () => {
    const stages = await stagesOnce();
    for (const target of TARGETS) {
      const chain = chainOf(stages, target);
      const user = instructionsOf(chain, 'USER').at(-1)?.getArgumentsContent();
      assert.ok(user && !/^(root|0)(:|$)/.test(user), `${target} runs as ${user}`);
      assert.equal(instructionsOf(chain, 'HEALTHCHECK').length, 1, `${target} has a HEALTHCHECK`);
      assert.ok(execForm(instructionsOf(chain, 'CMD').at(-1)).length > 1, `${target} has a CMD`);

      // node_modules comes from a stage of its own that installs production dependencies only.
      const copies = instructionsOf(chain, 'COPY').map((copy) => copy.getTextContent());
      const modules = copies.find((copy) => /\/app\/node_modules\s/.test(copy));
      const from = modules && /--from=(\S+)/.exec(modules)?.[1];
      assert.ok(from && stages.has(from), `${target} copies node_modules from a build stage`);
      const install = instructionsOf([stages.get(from)!], 'RUN')
        .map((r) => r.getArgumentsContent())
        .join('\n');
      assert.match(install, /npm ci --omit=dev/, `${from} installs with npm ci --omit=dev`);
      assert.doesNotMatch(copies.join('\n'), /--from=build \/app\/node_modules/, 'no dev dependencies');

      // What the image sets is the service's configuration, and valid.
      const env = imageEnv(chain);
      const keys = new Set(Object.keys(ConfigSchema.properties));
      for (const name of Object.keys(env))
        assert.ok(keys.has(name) || FOREIGN_ENV.has(name), `${target}: ${name}`);
      assert.doesNotThrow(() => loadConfig({}, env), `${target}'s environment is valid configuration`);
    }
  });

  it('the GPU worker is on an NVIDIA CUDA 11 image with cuDNN 8 and requires the native GPU backend; the others on Node with native TensorFlow', async () => {
    const stages = await stagesOnce();
    const gpu = chainOf(stages, 'worker-gpu');
    assert.match(gpu[0]!.base, /^nvidia\/cuda:11\.\d+\.\d+-cudnn8-runtime-ubuntu\d+\.\d+$/);
    assert.equal(imageEnv(gpu).TFJS_BACKEND, 'tensorflow-gpu');
    assert.match(
      instructionsOf([stages.get('deps-gpu')!], 'RUN')
        .map((r) => r.getArgumentsContent())
        .join('\n'),
      /npm rebuild [^\n]*@tensorflow\/tfjs-node-gpu/,
    );
    assert.equal(imageEnv(chainOf(stages, 'worker')).TFJS_BACKEND, 'tensorflow');
    for (const target of ['api', 'worker']) assert.match(chainOf(stages, target)[0]!.base, /^node:24-/);
  });
});

describe('docker-compose.yml', () => {
  interface Service {
    build?: { context: string; dockerfile: string; target: string };
    image?: string;
    command?: string[];
    environment?: Record<string, string | number>;
    volumes?: string[];
    ports?: string[];
    profiles?: string[];
    healthcheck?: { test: string[] };
    depends_on?: Record<string, { condition: string }>;
    stop_grace_period?: string;
    container_name?: string;
    deploy?: {
      resources?: {
        reservations?: { devices?: Array<{ driver: string; count: number; capabilities: string[] }> };
      };
    };
  }
  let services: Record<string, Service>;
  let volumes: Record<string, unknown>;

  before(async () => {
    const text = await fs.readFile(path.join(ROOT, 'docker-compose.yml'), 'utf8');
    const parsed = YAML.parse(text, { merge: true }) as {
      services: Record<string, Service>;
      volumes: Record<string, unknown>;
    };
    ({ services, volumes } = parsed);
  });

  /** A value as compose gives it when the variable is not set: `${NAME:-default}` → default. */
  const unset = (value: string | number) => String(value).replace(/\$\{\w+:-([^}]*)\}/g, '$1');

  it('runs Redis, the API and a CPU worker, and a GPU worker under the gpu profile that reserves an NVIDIA GPU', async () => {
    assert.deepEqual(Object.keys(services).sort(), ['api', 'redis', 'worker', 'worker-gpu']);
    const stages = await stagesOnce();
    for (const name of ['api', 'worker', 'worker-gpu']) {
      const service = services[name]!;
      assert.equal(service.build?.dockerfile, 'docker/Dockerfile');
      assert.ok(stages.has(service.build.target), `${name} builds target ${service.build.target}`);
      assert.equal(service.depends_on?.redis?.condition, 'service_healthy', `${name} waits for Redis`);
      // Every variable is the service's configuration and, unset, valid.
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([k, v]) => [k, unset(v)]),
      );
      const keys = new Set(Object.keys(ConfigSchema.properties));
      for (const key of Object.keys(env)) assert.ok(keys.has(key), `${name}: ${key} is configuration`);
      assert.doesNotThrow(() => loadConfig({}, env));
      assert.equal(env.REDIS_URL, 'redis://redis:6379');
    }
    assert.deepEqual(services['worker-gpu']!.profiles, ['gpu']);
    for (const name of ['redis', 'api', 'worker']) assert.equal(services[name]!.profiles, undefined);
    assert.deepEqual(services['worker-gpu']!.deploy?.resources?.reservations?.devices, [
      { driver: 'nvidia', count: 1, capabilities: ['gpu'] },
    ]);
  });

  it('workers scale: no fixed names or host ports, and they get longer to stop than their drain bound', () => {
    const drainSeconds = loadConfig({}, {}).WORKER_DRAIN_TIMEOUT_MS / 1000;
    for (const name of ['worker', 'worker-gpu']) {
      const service = services[name]!;
      assert.equal(service.container_name, undefined);
      assert.equal(service.ports, undefined);
      const grace = /^(\d+)s$/.exec(service.stop_grace_period ?? '')?.[1];
      assert.ok(
        grace && Number(grace) > drainSeconds,
        `${name} stop_grace_period ${service.stop_grace_period}`,
      );
    }
  });

  it('API and workers share one store; Redis keeps its data on a volume and reports its health', () => {
    for (const name of ['api', 'worker', 'worker-gpu'])
      assert.ok(services[name]!.volumes?.includes('data:/data'));
    assert.equal(loadConfig({}, { DATA_DIR: '/data' }).DATA_DIR, '/data');
    const redis = services.redis!;
    assert.ok(redis.volumes?.includes('redis-data:/data'));
    assert.deepEqual(redis.healthcheck?.test, ['CMD', 'redis-cli', 'ping']);
    assert.ok(redis.volumes?.some((v) => v.startsWith('./docker/redis.conf:')));
    assert.equal(redis.ports, undefined, 'Redis is not published');
    assert.deepEqual(Object.keys(volumes).sort(), ['data', 'redis-data']);
  });

  const compose = onPath('docker-compose');
  for (const profile of [[], ['--profile', 'gpu']]) {
    it(`passes docker-compose config${profile.length ? ' with the gpu profile' : ''}`, async (t) => {
      if (!(await compose)) {
        t.skip('docker-compose is not installed (.ci/run installs it)');
        return;
      }
      const { stdout } = await run('docker-compose', [...profile, 'config'], { cwd: ROOT });
      const resolved = YAML.parse(stdout) as { services: Record<string, Service> };
      assert.ok(resolved.services.worker, 'the resolved file has the worker');
    });
  }

  it('docker/redis.conf starts redis-server with AOF fsynced every second and no eviction', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-redis-conf-'));
    const port = await freePort();
    // The file as compose mounts it; only where it listens and writes differs here.
    const redis = await startRedisServer(dir, port, [
      path.join(ROOT, 'docker/redis.conf'),
      '--port',
      String(port),
      '--protected-mode',
      'yes',
    ]);
    const client = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 1 });
    try {
      const get = async (name: string) => ((await client.config('GET', name)) as string[])[1];
      assert.equal(await get('appendonly'), 'yes');
      assert.equal(await get('appendfsync'), 'everysec');
      assert.equal(await get('maxmemory-policy'), 'noeviction');
      assert.equal(await get('timeout'), '0');
    } finally {
      client.disconnect();
      await redis.kill();
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});

describe("the images' commands, from a fresh build", () => {
  const appDir = path.join(ROOT, 'tmp', 'image-commands');
  let env: TestEnv;
  let stages: Map<string, Stage>;
  const children: Spawned[] = [];

  before(async () => {
    env = await createTestEnv('image-commands');
    stages = await stagesOnce();
    // As the image's build stage: `npm run build`, then dist/ and package.json beside each other in /app.
    await fs.rm(appDir, { recursive: true, force: true });
    await fs.mkdir(appDir, { recursive: true });
    const tsc = path.join(ROOT, 'node_modules/typescript/bin/tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', path.join(appDir, 'dist')], {
      cwd: ROOT,
    });
    await fs.copyFile(path.join(ROOT, 'package.json'), path.join(appDir, 'package.json'));
  });

  after(async () => {
    for (const child of children) await child.kill();
    await env?.cleanup();
    await fs.rm(appDir, { recursive: true, force: true });
  });

  /** The environment of the target's image, pointed at this test's Redis prefix and data directory. */
  const envFor = (target: string, extra: Record<string, string>) => ({
    ...imageEnv(chainOf(stages, target)),
    REDIS_URL: env.config.REDIS_URL,
    QUEUE_PREFIX: env.prefix,
    DATA_DIR: env.dataDir,
    API_KEYS: env.config.API_KEYS,
    LOG_LEVEL: 'warn',
    // Native TensorFlow, which the images install, cannot install here.
    TFJS_BACKEND: 'auto',
    ...extra,
  });
  /** Runs an exec form as the image would, `node` being this Node. */
  const start = (argv: string[], childEnv: Record<string, string>) => {
    const [command, ...args] = argv;
    assert.equal(command, 'node');
    const child = spawnChild(process.execPath, args, { cwd: appDir, env: childEnv });
    children.push(child);
    return child;
  };
  const healthy = async (target: string, childEnv: Record<string, string>) => {
    const check = start(execForm(instructionsOf(chainOf(stages, target), 'HEALTHCHECK')[0]), childEnv);
    const [code] = await check.exited;
    return code === 0;
  };

  it('API and worker start, pass their health checks, train and serve a model, and stop cleanly on SIGTERM', async () => {
    const [apiPort, metricsPort] = [await freePort(), await freePort()];
    const apiEnv = envFor('api', { PORT: String(apiPort), HOST: '127.0.0.1' });
    const workerEnv = envFor('worker', { WORKER_METRICS_PORT: String(metricsPort) });

    assert.equal(await healthy('api', apiEnv), false, 'nothing answers before the API starts');
    const api = start(execForm(instructionsOf(chainOf(stages, 'api'), 'CMD').at(-1)), apiEnv);
    const worker = start(execForm(instructionsOf(chainOf(stages, 'worker'), 'CMD').at(-1)), workerEnv);
    await waitFor('the API health check', async () => ((await healthy('api', apiEnv)) ? true : undefined));
    await waitFor('the worker health check', async () =>
      (await healthy('worker', workerEnv)) ? true : undefined,
    );

    await trainAndPredict(
      apiClient(`http://127.0.0.1:${apiPort}`, () => `${api.output()}\n${worker.output()}`),
      worker.output,
    );

    for (const [target, process, targetEnv] of [
      ['worker', worker, workerEnv],
      ['api', api, apiEnv],
    ] as const) {
      process.child.kill('SIGTERM');
      const [code] = await process.exited;
      assert.equal(code, 0, `${target} exits 0 on SIGTERM:\n${process.output()}`);
      assert.equal(await healthy(target, targetEnv), false, `${target}'s health check fails once it stopped`);
    }
  });
});
