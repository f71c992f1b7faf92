/**
 * `npx tsx bench/digits-transfer.ts`: how the CNN's pooling and the job's preprocessing change transfer on the
 * bundled digits. A CNN trained on digits 0–4 is the base; a new head on its frozen `features` learns 5–9. Prints
 * the base's and the transfer's validation accuracy per variant, over BENCH_SEEDS seeds (default 3).
 */
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { selectBackend } from '../src/tf/backend.js';
import { train } from '../src/training/train.js';
import { digits } from './digits.js';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 3);
const BASE_EPOCHS = Number(process.env.BENCH_BASE_EPOCHS ?? 10);
const HEAD_EPOCHS = Number(process.env.BENCH_HEAD_EPOCHS ?? 20);

const backend = await selectBackend((process.env.TFJS_BACKEND as 'auto' | undefined) ?? 'auto');
const low = await digits((label) => Number(label) < 5);
const high = await digits((label) => Number(label) >= 5);

const spec = (request: Omit<JobRequest, 'dataset'>) =>
  resolveJobSpec({ dataset: 'ds_bench', ...request }, () => 1);

interface Variant {
  name: string;
  cnn: Partial<Extract<NonNullable<JobRequest['architecture']>, { type: 'cnn' }>>;
  preprocessing: JobRequest['preprocessing'];
}

const VARIANTS: Variant[] = [
  { name: 'max-pooled, standardized', cnn: { pooling: 'max' }, preprocessing: 'standardize' },
  { name: 'max-pooled, scaled', cnn: { pooling: 'max' }, preprocessing: 'scale' },
  { name: 'unpooled, standardized', cnn: { pooling: 'none' }, preprocessing: 'standardize' },
  { name: 'unpooled, scaled', cnn: { pooling: 'none' }, preprocessing: 'scale' },
  { name: 'avg-pooled, scaled', cnn: { pooling: 'avg' }, preprocessing: 'scale' },
  {
    name: 'unpooled + global avg, scaled',
    cnn: { pooling: 'none', globalPooling: true },
    preprocessing: 'scale',
  },
];

async function transferAccuracy(variant: Variant, seed: number): Promise<[number, number]> {
  const base = await train({
    spec: spec({
      architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [16, 32], ...variant.cnn },
      preprocessing: variant.preprocessing,
      hyperparameters: { epochs: BASE_EPOCHS, learningRate: 0.003 },
      seed,
    }),
    featureShape: [64],
    ...low,
  });
  const baseAccuracy = base.evaluation?.accuracy ?? Number.NaN;
  const preprocessing = base.preprocessing;
  const result = await train({
    spec: spec({
      baseModel: 'mdl_bench',
      hyperparameters: { epochs: HEAD_EPOCHS },
      seed: seed + 100,
    }),
    featureShape: [64],
    ...high,
    // The transfer job takes the base model over: its result releases it.
    base: base.model,
    basePreprocessing: preprocessing?.standardize ?? null,
    basePixels: preprocessing?.pixels ?? null,
  });
  const accuracy = result.evaluation?.accuracy ?? Number.NaN;
  result.dispose();
  return [baseAccuracy, accuracy];
}

const mean = (values: number[]) => values.reduce((n, v) => n + v, 0) / values.length;
console.log(
  `backend ${backend.name}; base: digits 0–4, ${BASE_EPOCHS} epochs; head: 5–9 on the frozen 'features', ${HEAD_EPOCHS} epochs; ${SEEDS} seeds`,
);
for (const variant of VARIANTS) {
  const runs: Array<[number, number]> = [];
  for (let seed = 1; seed <= SEEDS; seed++) runs.push(await transferAccuracy(variant, seed));
  const [bases, transfers] = [runs.map((r) => r[0]), runs.map((r) => r[1])];
  console.log(
    `${variant.name.padEnd(32)} base ${mean(bases).toFixed(3)}  transfer ${mean(transfers).toFixed(3)} ` +
      `(${transfers.map((a) => a.toFixed(3)).join(', ')})`,
  );
}
