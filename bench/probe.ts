/**
 * `npm run bench:probe`: what the probe of an upload near MODEL_MAX_BYTES costs. A real LayersModel of
 * BENCH_PROBE_MIB (~235) MiB of weights (Dense layers of 4096 units) is built with TF.js, saved through
 * `tf.io.withSaveHandler` into weight files of 32 MiB in a temp dir, and uploaded over HTTP to the API listening
 * in a process of its own with the default MODEL_MAX_BYTES and MODEL_PROBE_MAX_BYTES (unless set in the environment).
 * Prints the answer, how long it took, the probe process's peak resident memory (VmHWM, read every 20 ms) against
 * its bound, and the API process's own peak. Nothing is kept: the files, keys and DATA_DIR are removed.
 */
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { processStatus, startApiProcess, startBenchRun, statusBytes } from './harness.js';
import { probeOptions } from '../src/models/model-probe.js';

const MiB = 1024 * 1024;
const SHARD_BYTES = 32 * MiB;
const WIDTH = 4096;

/** Dense layers of WIDTH units until the weights reach about `mib` MiB, then a 10-way softmax. */
function bigModel(mib: number): tf.LayersModel {
  const layers: tf.layers.Layer[] = [];
  let bytes = 0;
  while (bytes + (WIDTH * WIDTH + WIDTH) * 4 <= (mib - 1) * MiB) {
    layers.push(
      tf.layers.dense({ units: WIDTH, activation: 'relu', ...(bytes ? {} : { inputShape: [WIDTH] }) }),
    );
    bytes += (WIDTH * WIDTH + WIDTH) * 4;
  }
  const rest = Math.floor(((mib - 1) * MiB - bytes) / 4 / (WIDTH + 1));
  // The first layer, whichever it is, takes the input.
  const first = () => (layers.length === 0 ? { inputShape: [WIDTH] } : {});
  if (rest > 0) layers.push(tf.layers.dense({ units: rest, activation: 'relu', ...first() }));
  layers.push(tf.layers.dense({ units: 10, activation: 'softmax', ...first() }));
  return tf.sequential({ name: 'big', layers });
}

/** Saves the model as a browser or converter would: model.json and weight shards, written to `dir`. */
async function saveTo(model: tf.LayersModel, dir: string): Promise<string[]> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (saved) => {
      artifacts = saved;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) };
    }),
  );
  const data = new Uint8Array(tf.io.CompositeArrayBuffer.join(artifacts!.weightData));
  const paths: string[] = [];
  for (let offset = 0; offset < data.byteLength; offset += SHARD_BYTES) {
    const name = `group1-shard${paths.length + 1}`;
    await fsp.writeFile(path.join(dir, name), data.subarray(offset, offset + SHARD_BYTES));
    paths.push(name);
  }
  const json = {
    format: 'layers-model',
    generatedBy: artifacts!.generatedBy,
    modelTopology: artifacts!.modelTopology,
    weightsManifest: [{ paths, weights: artifacts!.weightSpecs }],
  };
  await fsp.writeFile(path.join(dir, 'model.json'), JSON.stringify(json));
  return ['model.json', ...paths];
}

const parentOf = (text: string | undefined) => Number(/^PPid:\s+(\d+)/m.exec(text ?? '')?.[1] ?? 0);

/** The highest VmHWM of the API process and of the probe processes it forks, read every 20 ms until stopped. */
function watch(api: number): { stop: () => { api: number; probe: number } } {
  const peak = { api: 0, probe: 0 };
  const timer = setInterval(() => {
    void (async () => {
      peak.api = Math.max(peak.api, statusBytes(await processStatus(api), 'VmHWM'));
      for (const entry of await fsp.readdir('/proc')) {
        if (!/^\d+$/.test(entry)) continue;
        const text = await processStatus(Number(entry));
        if (parentOf(text) !== api) continue;
        const cmdline = await fsp.readFile(`/proc/${entry}/cmdline`, 'utf8').catch(() => '');
        if (cmdline.includes('model-probe.child'))
          peak.probe = Math.max(peak.probe, statusBytes(text, 'VmHWM'));
      }
    })();
  }, 20);
  return { stop: () => (clearInterval(timer), peak) };
}

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;
const run = await startBenchRun('probe', { INFERENCE_HOSTS: 1 });
const dir = await fsp.mkdtemp(path.join(os.tmpdir(), 'finetuned-bench-probe-'));
run.closers.push(() => fsp.rm(dir, { recursive: true, force: true }));
try {
  const model = bigModel(Number(process.env.BENCH_PROBE_MIB ?? 235));
  const params = model.countParams();
  const files = await saveTo(model, dir);
  model.dispose();
  const { base, child } = await startApiProcess(run);
  const form = new FormData();
  let bytes = 0;
  for (const name of files) {
    const data = await fsp.readFile(path.join(dir, name));
    bytes += data.byteLength;
    form.append(name === 'model.json' ? 'model' : 'weights', new Blob([data]), name);
  }
  const bound = probeOptions(run.config, { warn: () => {} }).maxBytes;
  console.log(
    `model: ${params} parameters, ${files.length} files, ${mib(bytes)}; MODEL_MAX_BYTES ${mib(run.config.MODEL_MAX_BYTES)}, probe bound ${mib(bound)}`,
  );
  const apiBefore = statusBytes(await processStatus(child.pid!), 'VmRSS');
  const peaks = watch(child.pid!);
  const started = performance.now();
  const response = await fetch(`${base}/v1/models`, { method: 'POST', headers: run.headers, body: form });
  const seconds = (performance.now() - started) / 1000;
  const body = (await response.json()) as { id?: string; code?: string; detail?: string };
  const peak = peaks.stop();
  console.log(
    `answer: ${response.status} ${body.id ?? `${body.code}: ${body.detail}`} in ${seconds.toFixed(1)} s`,
  );
  console.log(
    `probe process peak RSS (VmHWM): ${mib(peak.probe)} of ${mib(bound)} (${((peak.probe / bound) * 100).toFixed(0)}%)`,
  );
  console.log(`API process: RSS ${mib(apiBefore)} before the upload, peak (VmHWM) ${mib(peak.api)}`);
} catch (error) {
  // Said before the cleanup, which cannot hide it.
  console.error(error);
  process.exitCode = 1;
} finally {
  await run.cleanup();
}
