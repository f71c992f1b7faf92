import type { Logger } from 'pino';
import type { BackendName, Config } from '../config.js';
import { unavailable, unprocessable } from '../errors.js';
import { memoryExceeded, probeUnavailable, runProbe, type ProbeReport } from './model-probe-run.js';
import type { ValidUpload } from './model-upload.js';

export type { ProbeReport } from './model-probe-run.js';

const MiB = 1024 * 1024;

export interface ProbeOptions {
  backend: BackendName;
  timeoutMs: number;
  maxBytes: number;
  /** Probes at once; a few more wait, and beyond those an upload is a 503. */
  concurrency: number;
  logger: Pick<Logger, 'warn'>;
}

/**
 * The probe's memory bound when MODEL_PROBE_MAX_BYTES is 0: the process and its backend, then room for the
 * weights several times over, as loading holds them at once (the buffers received, the slices TF.js decodes
 * them into, the variables the layers build with their initializers, the values set on them). `npm run
 * bench:probe` measured a peak of 1032 MiB for 234 MiB of float32 weights on wasm: about half this bound, which
 * leaves room for quantized weights (stored in 1 or 2 bytes, loaded as 4) and other backends.
 */
export const derivedProbeBytes = (modelMaxBytes: number) => 512 * MiB + 6 * modelMaxBytes;

/**
 * The probe's options from the config. A bound set below MODEL_MAX_BYTES could refuse every large upload, so it
 * fails the start; one below the derived bound is allowed (small deployments, tests) with a warning.
 */
export function probeOptions(config: Config, logger: Pick<Logger, 'warn'>): ProbeOptions {
  const derived = derivedProbeBytes(config.MODEL_MAX_BYTES);
  const set = config.MODEL_PROBE_MAX_BYTES;
  if (set !== 0 && set < config.MODEL_MAX_BYTES)
    throw new Error(
      `MODEL_PROBE_MAX_BYTES (${set}) is below MODEL_MAX_BYTES (${config.MODEL_MAX_BYTES}): the probe could not ` +
        `even hold the largest upload; raise it, or set 0 for ${derived}`,
    );
  if (set !== 0 && set < derived)
    logger.warn(
      { MODEL_PROBE_MAX_BYTES: set, MODEL_MAX_BYTES: config.MODEL_MAX_BYTES, derived },
      'MODEL_PROBE_MAX_BYTES is below what an upload near MODEL_MAX_BYTES may need to load',
    );
  return {
    backend: config.TFJS_BACKEND,
    timeoutMs: config.MODEL_PROBE_TIMEOUT_MS,
    maxBytes: set === 0 ? derived : set,
    concurrency: config.MODEL_PROBE_CONCURRENCY,
    logger,
  };
}

const closedProblem = () => probeUnavailable('the service is shutting down');

/**
 * Proves that uploaded models load and predict, each in a throwaway child process that is killed once it has
 * answered, or past `timeoutMs`, or once its resident memory passes `maxBytes` (read from /proc every 50 ms).
 * The API's event loop never builds a user's model, and nothing a model made TF.js allocate stays behind.
 */
export class ModelProbe {
  private running = 0;
  private closed = false;
  private readonly waiting: Array<{ resolve: () => void; reject: (error: Error) => void }> = [];
  private readonly runs = new Set<AbortController>();

  constructor(private readonly options: ProbeOptions) {}

  /** The model's shapes and layers; a 422 when it cannot load or predict within the bounds. */
  async probe(upload: ValidUpload): Promise<ProbeReport> {
    await this.acquire();
    const run = new AbortController();
    this.runs.add(run);
    try {
      if (this.closed) throw closedProblem();
      const { peakBytes, ...answer } = await runProbe(upload, { ...this.options, signal: run.signal });
      const { maxBytes } = this.options;
      if (peakBytes > maxBytes) throw memoryExceeded(maxBytes, peakBytes);
      if (answer.type === 'refused') {
        const memory = answer.code === 'model_load_memory_exceeded' ? { limit: maxBytes } : {};
        throw unprocessable(answer.code, answer.detail, { file: 'model.json', ...memory });
      }
      return answer;
    } finally {
      this.runs.delete(run);
      this.release();
    }
  }

  private async acquire() {
    if (this.closed) throw closedProblem();
    if (this.running < this.options.concurrency) {
      this.running += 1;
      return;
    }
    if (this.waiting.length >= this.options.concurrency * 4)
      throw unavailable(
        'model_load_busy',
        'too many uploaded models are being checked at once; retry shortly',
      );
    // The slot is handed over by release(), so `running` stays counted.
    await new Promise<void>((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  private release() {
    const next = this.waiting.shift();
    if (next) next.resolve();
    else this.running -= 1;
  }

  /** Kills the probes still running and refuses the waiting and later ones (503): the API is shutting down. */
  close(): void {
    this.closed = true;
    for (const run of this.runs) run.abort();
    for (const { reject } of this.waiting.splice(0)) reject(closedProblem());
  }
}
