/**
 * `npm run bench:datasets`: dataset upload parsing, streaming parser against a synchronous parse of the same CSV
 * (csv-parse/sync, then numbers) as the baseline, in the same process: time, the longest event-loop stall, and
 * memory growth. BENCH_CSV_MIB (default 20) sets the body size.
 */
import { parse as parseSync } from 'csv-parse/sync';
import { parseCsv } from '../src/datasets/dataset-parser.js';

const MIB = 2 ** 20;
const target = Number(process.env.BENCH_CSV_MIB ?? 20) * MIB;

const header = ['label', ...Array.from({ length: 64 }, (_, j) => `p${j}`)].join(',');
const lines = [header];
let size = header.length;
for (let i = 0; size < target; i++) {
  const line = `${i % 10},${Array.from({ length: 64 }, (_, j) => (i * (j + 1)) % 17).join(',')}`;
  lines.push(line);
  size += line.length + 1;
}
const body = Buffer.from(lines.join('\n'));
lines.length = 0;

async function measure(name: string, run: () => Promise<number>) {
  // A timer that asks for the event loop every 5 ms, as other requests would; the longest gap between its
  // turns is how long a request could have waited.
  let last = performance.now();
  let stall = 0;
  const ticker = setInterval(() => {
    const now = performance.now();
    stall = Math.max(stall, now - last);
    last = now;
  }, 5);
  const rss = process.memoryUsage().rss;
  const started = performance.now();
  const rows = await run();
  const seconds = (performance.now() - started) / 1000;
  const grown = (process.memoryUsage().rss - rss) / MIB;
  await new Promise((resolve) => setTimeout(resolve, 20));
  clearInterval(ticker);
  console.log(
    `${name.padEnd(26)} ${rows} rows in ${seconds.toFixed(2)} s, longest event-loop stall ${stall.toFixed(0)} ms, rss +${grown.toFixed(0)} MiB`,
  );
  return { seconds, stall, grown };
}

console.log(`CSV body: ${(body.byteLength / MIB).toFixed(1)} MiB, 64 feature columns`);
const streaming = await measure(
  'streaming (the service)',
  async () => (await parseCsv(body, { maxClasses: 1000 })).rows,
);
const baseline = await measure('baseline: csv-parse/sync', async () => {
  const records: string[][] = parseSync(body, { skip_empty_lines: true });
  const numbers = records.slice(1).map((record) => record.slice(1).map(Number));
  return numbers.length;
});
console.log(
  `streaming / baseline: time ${(streaming.seconds / baseline.seconds).toFixed(2)}×, longest stall ${(streaming.stall / baseline.stall).toFixed(3)}×, memory growth ${(streaming.grown / baseline.grown).toFixed(2)}×`,
);
