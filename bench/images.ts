/**
 * `npm run bench:images`: image archive uploads. A zip of BENCH_IMAGES (default 4000) real Fashion-MNIST PNGs
 * (the fixture's 300 pictures, repeated under other names) stored at BENCH_SIZE (default 64x64):
 * 1. in this process, the service's archive parser (read, check, decode, resize, pack) against a plain sharp
 *    decode-and-resize loop over the same files, one at a time and as many at once as the service's decode slots:
 *    images/s and the longest event-loop stall;
 * 2. the same zip uploaded over HTTP to the API in a process of its own: its resident memory before, its peak
 *    (VmHWM, read every 20 ms) during the upload, beside the archive's size and the pixels it stores.
 */
import { performance } from 'node:perf_hooks';
import sharp from 'sharp';
import { loadConfig } from '../src/config.js';
import { zip } from '../src/datasets/formats/zip.js';
import { DECODE_SLOTS } from '../src/datasets/images/decode-slots.js';
import { imageLimitsOf } from '../src/datasets/images/image-limits.js';
import { fashionImages, zipOf } from '../test/helpers/archives.js';
import { processStatus, startApiProcess, startBenchRun, statusBytes } from './harness.js';

const MiB = 1024 * 1024;
const COUNT = Number(process.env.BENCH_IMAGES ?? 4000);
const SIZE = process.env.BENCH_SIZE ?? '64x64';
const [WIDTH, HEIGHT] = SIZE.split('x').map(Number) as [number, number];

const mib = (bytes: number) => `${(bytes / MiB).toFixed(0)} MiB`;

/** Runs `work`, timing it and the longest gap between turns of a 5 ms timer (what a request would wait). */
async function measure(name: string, work: () => Promise<number>) {
  let last = performance.now();
  let stall = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  const started = performance.now();
  const images = await work();
  const seconds = (performance.now() - started) / 1000;
  clearInterval(ticker);
  const rate = images / seconds;
  console.log(
    `${name.padEnd(40)} ${images} images in ${seconds.toFixed(2)} s: ${rate.toFixed(0)} images/s, longest stall ${stall.toFixed(0)} ms`,
  );
  return rate;
}

/** The plain loop: each file decoded, resized to cover the size and made grayscale, `width` at a time. */
async function sharpLoop(files: Buffer[], width: number): Promise<number> {
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const file = files[next++]!;
      await sharp(file)
        .autoOrient()
        .resize(WIDTH, HEIGHT, { fit: 'cover' })
        .toColourspace('b-w')
        .raw()
        .toBuffer();
    }
  };
  await Promise.all(Array.from({ length: width }, lane));
  return files.length;
}

/** The highest VmHWM of a process, read every 20 ms until stopped. */
function watchPeak(pid: number): () => number {
  let peak = 0;
  const timer = setInterval(() => {
    void processStatus(pid).then((text) => (peak = Math.max(peak, statusBytes(text, 'VmHWM'))));
  }, 20);
  return () => (clearInterval(timer), peak);
}

const fixture = await fashionImages();
const files = Array.from({ length: COUNT }, (_, i) => {
  const file = fixture[i % fixture.length]!;
  return { name: file.name.replace(/\.png$/, `-${i}.png`), data: file.data! };
});
const archive = zipOf(files);
console.log(
  `zip of ${COUNT} Fashion-MNIST PNGs (28x28 grayscale): ${mib(archive.byteLength)}, stored at ${SIZE}`,
);

const config = loadConfig({}, {});
const limits = { maxClasses: config.MAX_CLASSES, images: imageLimitsOf(config) };
const service = await measure('the service (zip.parse)', async () => {
  const parsed = await zip.parse({ body: archive }, { size: SIZE }, limits);
  return parsed.rows;
});
const data = files.map((file) => file.data);
const one = await measure('baseline: sharp loop, one at a time', () => sharpLoop(data, 1));
const slots = await measure(`baseline: sharp loop, ${DECODE_SLOTS} at a time`, () =>
  sharpLoop(data, DECODE_SLOTS),
);
console.log(
  `service / baseline: ${(service / one).toFixed(2)}× one at a time, ${(service / slots).toFixed(2)}× ${DECODE_SLOTS} at a time`,
);

const run = await startBenchRun('images');
try {
  const { base, child } = await startApiProcess(run);
  const before = statusBytes(await processStatus(child.pid!), 'VmRSS');
  const stop = watchPeak(child.pid!);
  const started = performance.now();
  const response = await fetch(`${base}/v1/datasets?name=bench&size=${SIZE}`, {
    method: 'POST',
    headers: { ...run.headers, 'content-type': 'application/zip' },
    body: archive,
  });
  const body = (await response.json()) as {
    rows?: number;
    featureShape?: number[];
    code?: string;
    detail?: string;
  };
  const seconds = (performance.now() - started) / 1000;
  await new Promise((resolve) => setTimeout(resolve, 100));
  const peak = stop();
  const stored = (body.rows ?? 0) * (body.featureShape ?? []).reduce((a, b) => a * b, 1);
  console.log(
    `upload: ${response.status} ${body.rows ?? `${body.code}: ${body.detail}`} images in ${seconds.toFixed(1)} s, ` +
      `${mib(stored)} of pixels stored`,
  );
  console.log(
    `API process: RSS ${mib(before)} before the upload, peak (VmHWM) ${mib(peak)}: +${mib(peak - before)} for a ` +
      `${mib(archive.byteLength)} archive`,
  );
} finally {
  await run.cleanup();
}
