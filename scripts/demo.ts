/**
 * `npm run demo`, against a running service (FINETUNED_URL, default http://127.0.0.1:8080, with the API key in
 * FINETUNED_API_KEY): uploads the bundled
 * digits, trains a small CNN on digits 0–4, transfers it to digits 5–9 with the base frozen, and predicts a few
 * digits the service has never seen.
 */
import { SingleBar, Presets } from 'cli-progress';
import fs from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

const BASE = (process.env.FINETUNED_URL ?? 'http://127.0.0.1:8080').replace(/\/$/, '');
const CSV = fileURLToPath(new URL('../datasets/digits-8x8.csv', import.meta.url));
const HELD_OUT_PER_CLASS = 2;
const KEY = process.env.FINETUNED_API_KEY;
if (!KEY) {
  console.error(
    'set FINETUNED_API_KEY to an API key with the datasets, jobs, models and predict scopes (on first start the service prints one)',
  );
  process.exit(1);
}

interface Job {
  id: string;
  status: string;
  progress: { phase: string; epoch: number; epochs: number; fraction: number } | null;
  metrics: Record<string, number | null>;
  modelId: string | null;
  error: { code: string; message: string } | null;
  backend: { name: string; device: string } | null;
}

async function call<T>(method: string, path: string, body?: string, type = 'application/json'): Promise<T> {
  const response = await fetch(`${BASE}${path}`, {
    method,
    body,
    headers: { authorization: `Bearer ${KEY}`, ...(body ? { 'content-type': type } : {}) },
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`${method} ${path} → ${response.status}: ${text}`);
  return JSON.parse(text) as T;
}

async function follow(title: string, jobId: string): Promise<{ job: Job; seconds: number }> {
  const started = Date.now();
  const bar = new SingleBar(
    {
      format: `${title.padEnd(24)} [{bar}] {percentage}% | {phase} epoch {epoch}/{epochs} | val_acc {acc}`,
      hideCursor: true,
    },
    Presets.shades_classic,
  );
  bar.start(100, 0, { phase: 'queued', epoch: 0, epochs: '?', acc: '-' });
  for (;;) {
    const job = await call<Job>('GET', `/v1/jobs/${jobId}`);
    bar.update(Math.round((job.progress?.fraction ?? 0) * 100), {
      phase: job.progress?.phase ?? job.status,
      epoch: job.progress?.epoch ?? 0,
      epochs: job.progress?.epochs ?? '?',
      acc: job.metrics.val_accuracy?.toFixed(3) ?? '-',
    });
    if (['succeeded', 'failed', 'cancelled'].includes(job.status)) {
      bar.stop();
      if (job.status !== 'succeeded')
        throw new Error(`${title} ${job.status}: ${job.error?.code} ${job.error?.message}`);
      return { job, seconds: (Date.now() - started) / 1000 };
    }
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
}

const lines = (await fs.readFile(CSV, 'utf8')).trim().split('\n');
const header = lines[0]!;
const rows = lines.slice(1).map((line) => ({ label: line.split(',')[0]!, line }));
const low = rows.filter((r) => Number(r.label) < 5);
const high = rows.filter((r) => Number(r.label) >= 5);
// A few 5–9 digits are kept back from training to show predictions on unseen data.
const heldOut = ['5', '6', '7', '8', '9'].flatMap((label) =>
  high.filter((r) => r.label === label).slice(0, HELD_OUT_PER_CLASS),
);
const train = high.filter((r) => !heldOut.includes(r));
const csv = (subset: typeof rows) => [header, ...subset.map((r) => r.line)].join('\n');

console.log(`finetuned demo against ${BASE}\n`);
const digits04 = await call<{ id: string; rows: number }>(
  'POST',
  '/v1/datasets?name=digits-0-4',
  csv(low),
  'text/csv',
);
const digits59 = await call<{ id: string; rows: number }>(
  'POST',
  '/v1/datasets?name=digits-5-9',
  csv(train),
  'text/csv',
);
console.log(
  `uploaded digits 0–4 (${digits04.rows} rows) as ${digits04.id}, digits 5–9 (${digits59.rows} rows) as ${digits59.id}`,
);

const scratch = await call<Job>(
  'POST',
  '/v1/jobs',
  JSON.stringify({
    name: 'cnn on digits 0-4',
    dataset: digits04.id,
    architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [16, 32], denseUnits: 64 },
    hyperparameters: { epochs: 15, batchSize: 32, learningRate: 0.001 },
    seed: 42,
  }),
);
const first = await follow('CNN from scratch, 0–4', scratch.id);

const transfer = await call<Job>(
  'POST',
  '/v1/jobs',
  JSON.stringify({
    name: 'transfer to digits 5-9',
    dataset: digits59.id,
    baseModel: first.job.modelId,
    transfer: { freeze: 'all', head: { hiddenUnits: [128], dropout: 0.2 } },
    hyperparameters: { epochs: 25, batchSize: 32, learningRate: 0.001 },
    seed: 42,
  }),
);
const second = await follow('transfer, 5–9', transfer.id);

const accuracy = (job: Job) => job.metrics.val_accuracy?.toFixed(3) ?? 'n/a';
console.log(`\nbackend: ${second.job.backend?.name} (${second.job.backend?.device})`);
console.log(
  `CNN from scratch on 0–4: validation accuracy ${accuracy(first.job)} in ${first.seconds.toFixed(1)} s (model ${first.job.modelId})`,
);
console.log(
  `transfer to 5–9, base frozen: validation accuracy ${accuracy(second.job)} in ${second.seconds.toFixed(1)} s (model ${second.job.modelId})`,
);

const instances = heldOut.map((r) => r.line.split(',').slice(1).map(Number));
const predicted = await call<{ predictions: Array<{ label: string; score: number }> }>(
  'POST',
  `/v1/models/${second.job.modelId}/predict`,
  JSON.stringify({ instances, topK: 1 }),
);
const correct = predicted.predictions.filter((p, i) => p.label === heldOut[i]!.label).length;
console.log(`\npredictions on ${heldOut.length} held-out digits (${correct} correct):`);
predicted.predictions.forEach((p, i) =>
  console.log(`  true ${heldOut[i]!.label} → predicted ${p.label} (score ${p.score.toFixed(3)})`),
);
