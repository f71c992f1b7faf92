import type * as tf from '@tensorflow/tfjs';
import { fork } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import type { Logger } from 'pino';
import { childEntry } from '../child-process.js';
import type { BackendName } from '../config.js';
import { ProblemError, unavailable, unprocessable } from '../errors.js';
import type { ModelRecord } from './model-store.js';
import type { ValidUpload } from './model-upload.js';

/*
 * One run of the probe process: fork, send the model, watch its time and memory, and read how it ended.
 */

const CHILD_ENTRY = childEntry(import.meta.url, 'model-probe.child');
const RSS_POLL_MS = 50;
const MiB = 1024 * 1024;

/** What the API sends the probe process: the model as `tf.io.fromMemory` takes it, one buffer per weight file. */
export interface ProbeRequest {
  modelTopology: object;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightData: ArrayBuffer[];
  /** 'graph-model' for a GraphModel, which is loaded as one, with its signature; else a LayersModel. */
  format: string;
  signature?: object;
}

/** What a model that loads and predicts is like, for its record. */
export interface ProbeReport {
  type: 'report';
  inputShape: number[];
  outputShape: Array<number | null>;
  layers: ModelRecord['layers'];
  defaultCutLayer: string | null;
}

export type RefusalCode =
  'invalid_model' | 'unsupported_model' | 'non_finite_output' | 'model_load_memory_exceeded';

/** What the probe process finds: a report, or why the model is refused. */
export type ProbeOutcome = ProbeReport | { type: 'refused'; code: RefusalCode; detail: string };

export type ProbeAnswer = ProbeOutcome & {
  /** The most resident memory the process ever had: what was built may be gone by the time it answers. */
  peakBytes: number;
};

/** What the probe process sends: first that its backend is up, then its one answer. */
export type FromProbe = { type: 'ready' } | ProbeAnswer;

export interface RunOptions {
  backend: BackendName;
  timeoutMs: number;
  maxBytes: number;
  logger: Pick<Logger, 'warn'>;
  /** Aborted when the API shuts down: the process is killed and the upload gets a 503. */
  signal?: AbortSignal;
}

/** The resident memory of a process, from /proc; undefined where there is none (not Linux) or it has gone. */
async function residentBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const kib = /^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1];
    return kib === undefined ? undefined : Number(kib) * 1024;
  } catch {
    return undefined;
  }
}

/**
 * The flags a child gets: the API's loader (tsx when running from source), not its debugger, and a heap bound
 * at the memory bound (weights live outside the heap; a heap that reaches it is reported as the memory refusal).
 */
function childFlags(maxBytes: number): string[] {
  const flags = process.execArgv.filter((flag) => !flag.startsWith('--inspect'));
  if (CHILD_ENTRY.pathname.endsWith('.ts') && !flags.some((flag) => flag.includes('tsx')))
    flags.push('--import', import.meta.resolve('tsx'));
  flags.push(`--max-old-space-size=${Math.max(64, Math.floor(maxBytes / MiB))}`);
  return flags;
}

/**
 * The weights as they were uploaded, one buffer per file in manifest order, so that TF.js reads them as one.
 * A file that has its memory to itself (any upload part past a few KiB) is sent as it is, not copied first.
 */
function request(upload: ValidUpload): ProbeRequest {
  const weightData = upload.json.weightsManifest.flatMap((group) =>
    group.paths.map((path) => {
      const data = upload.files.get(path) as Uint8Array;
      const whole = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength;
      return (
        whole ? data.buffer : data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength)
      ) as ArrayBuffer;
    }),
  );
  // Only what TF.js reads of each weight: a manifest entry's other members never reach the child.
  const weightSpecs = upload.json.weightsManifest.flatMap((group) =>
    group.weights.map(({ name, shape, dtype, quantization }) => ({
      name,
      shape,
      dtype,
      ...(quantization === undefined ? {} : { quantization }),
    })),
  );
  const { json, format } = upload;
  const signature = json.userDefinedMetadata?.signature ?? json.signature;
  return {
    modelTopology: json.modelTopology,
    weightSpecs,
    weightData,
    format,
    ...(format === 'graph-model' && typeof signature === 'object' && signature !== null ? { signature } : {}),
  };
}

export const memoryExceeded = (maxBytes: number, bytes: number) =>
  unprocessable(
    'model_load_memory_exceeded',
    `loading the model took more than ${maxBytes} bytes of memory (MODEL_PROBE_MAX_BYTES)`,
    { file: 'model.json', limit: maxBytes, actual: bytes },
  );

/** The probe could not run: the machine's fault, not the model's, so the upload may be tried again. */
export const probeUnavailable = (why: string) =>
  unavailable('model_probe_unavailable', `the uploaded model could not be checked: ${why}; retry shortly`, 5);

const HEAP_ABORT = /heap out of memory|Reached heap limit|Allocation failed/;

/** Why a probe process that was ready ended without answering: memory, or the model crashed the loader. */
function exitProblem(
  how: string,
  signal: NodeJS.Signals | null,
  stderr: string,
  peak: number,
  maxBytes: number,
): ProblemError {
  // A V8 heap abort, or a kill that was not ours (the kernel's OOM killer): the model took too much memory.
  if (HEAP_ABORT.test(stderr) || signal === 'SIGKILL')
    return memoryExceeded(maxBytes, Math.max(peak, maxBytes));
  return unprocessable(
    'invalid_model',
    `TF.js cannot load this model: the process loading it stopped (${how})`,
    {
      file: 'model.json',
    },
  );
}

/** Reads a process's resident memory every 50 ms: the most seen, and `exceeded` called once it passes `maxBytes`. */
function watchMemory(pid: number | undefined, maxBytes: number, exceeded: (rss: number) => void) {
  let peak = 0;
  let reading = false;
  const timer = setInterval(() => {
    if (reading || pid === undefined) return;
    reading = true;
    void residentBytes(pid).then((rss) => {
      reading = false;
      peak = Math.max(peak, rss ?? 0);
      if (rss !== undefined && rss > maxBytes) exceeded(rss);
    });
  }, RSS_POLL_MS);
  return { peak: () => peak, stop: () => clearInterval(timer) };
}

/** Probes one upload in a fresh child process; resolves with its answer, or rejects with a problem. */
export function runProbe(upload: ValidUpload, options: RunOptions): Promise<ProbeAnswer> {
  const { timeoutMs, maxBytes, backend, logger, signal } = options;
  const child = fork(fileURLToPath(CHILD_ENTRY), [backend], {
    execArgv: childFlags(maxBytes),
    serialization: 'advanced',
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-2000)));
  return new Promise((resolve, reject) => {
    let ready = false;
    const fail = (error: Error) => {
      stop();
      reject(error);
    };
    const deadline = setTimeout(
      () =>
        fail(
          unprocessable(
            'model_load_timeout',
            `the model did not load and predict within ${timeoutMs} ms (MODEL_PROBE_TIMEOUT_MS)`,
            { file: 'model.json', limit: timeoutMs },
          ),
        ),
      timeoutMs,
    );
    const memory = watchMemory(child.pid, maxBytes, (rss) => fail(memoryExceeded(maxBytes, rss)));
    const abort = () => fail(probeUnavailable('the service is shutting down'));
    signal?.addEventListener('abort', abort, { once: true });
    const stop = () => {
      signal?.removeEventListener('abort', abort);
      clearTimeout(deadline);
      memory.stop();
      child.removeAllListeners('message');
      child.removeAllListeners('close');
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    child.on('message', (message: FromProbe) => {
      if (message.type === 'ready') return void (ready = true);
      stop();
      resolve(message);
    });
    // 'close' comes after every message the child sent has been read.
    child.once('close', (code, exitSignal) => {
      logger.warn(
        { code, signal: exitSignal, stderr, ready },
        'model probe process exited without answering',
      );
      // Before it was ready it had not looked at the model: its backend or the process itself failed.
      const how = exitSignal ?? `exit code ${code}`;
      fail(
        ready
          ? exitProblem(how, exitSignal, stderr, memory.peak(), maxBytes)
          : probeUnavailable(`the process checking it failed to start (${how})`),
      );
    });
    child.on('error', (error) => {
      logger.warn({ err: error }, 'model probe process failed');
      fail(probeUnavailable('the process checking it could not be started or reached'));
    });
    try {
      child.send(request(upload));
    } catch (error) {
      // The serializer recurses into values; one nested beyond its stack is the upload's doing.
      fail(
        error instanceof RangeError
          ? unprocessable('invalid_model', `model.json nests too deeply to be loaded: ${error.message}`, {
              file: 'model.json',
            })
          : probeUnavailable('the model could not be sent to the process checking it'),
      );
    }
  });
}
