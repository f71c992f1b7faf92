/**
 * `npm run bench:auto-settings`: whether a job that leaves epochs, batch size and learning rate out (chosen by
 * src/jobs/auto-settings.ts, with its early stopping) trains as well as the best of a small hand sweep of the same
 * network, on each dataset in datasets/. Each recipe has a fixed train/validation split; the sweep is Adam's rate
 * {1e-3, 3e-3, 1e-2} × batch {16, 32, 64} (sizes over a quarter of the training rows left out) at a fixed epoch
 * count, without early stopping. Prints validation accuracy (R² for the regression) of the automatic settings and
 * of every sweep run, the gap (sweep's best − automatic) and whether it is at most 0.02. All in this process, on
 * the backend `selectBackend('auto')` picks; BENCH_SEEDS seeds (default 1), averaged per setting.
 *
 * Recipes: digits, MLP [64] and CNN [16, 32] from scratch; digits transfer (a CNN base trained once on 0–4, a new
 * head on 5–9); penguins species and body mass (regression), MLP [32]; Fashion-MNIST, the 300 shipped PNGs split
 * 200/100 (10 of each class's 30 held out, so that one image is 0.01 of accuracy), CNN [16, 32].
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import type { DatasetData } from '../src/datasets/dataset-store.js';
import { FORMATS } from '../src/datasets/formats/index.js';
import type { ParsedDataset } from '../src/datasets/rows.js';
import { settleAutoSettings } from '../src/jobs/auto-settings.js';
import { resolveJobSpec, type JobRequest } from '../src/jobs/job-spec.js';
import { ModelStore } from '../src/models/model-store.js';
import { selectBackend } from '../src/tf/backend.js';
import { train, type TrainingInput } from '../src/training/train.js';
import { fashionClasses } from '../test/helpers/archives.js';
import { fashionData } from '../test/helpers/fashion-data.js';
import { loadSerialized } from '../test/helpers/tf-model.js';
import { digits } from './digits.js';

const SEEDS = Number(process.env.BENCH_SEEDS ?? 1);
const RATES = [1e-3, 3e-3, 1e-2];
const BATCHES = [16, 32, 64];
const GOAL = 0.02;
type Architecture = NonNullable<JobRequest['architecture']>;
const DIGITS_CNN: Architecture = { type: 'cnn', inputShape: [8, 8, 1], filters: [16, 32] };

type Hyperparameters = JobRequest['hyperparameters'];
interface Recipe {
  name: string;
  request: Omit<JobRequest, 'dataset' | 'hyperparameters' | 'seed'>;
  /** Epochs of every sweep run. */
  epochs: number;
  trainRows: number;
  validationRows: number;
  /** What train() takes besides the spec; called per run, since a transfer job takes its base over. */
  inputs: () => Promise<Omit<TrainingInput, 'spec'>>;
}

/** `rows` of `data`, `width` features each. */
function pick(data: DatasetData, width: number, rows: number[]): DatasetData {
  const features = new Float32Array(rows.length * width);
  rows.forEach((row, i) => features.set(data.features.subarray(row * width, (row + 1) * width), i * width));
  return { features, labelIndex: Uint32Array.from(rows, (row) => data.labelIndex[row]!) };
}

/** A fixed stratified split: `fraction` of each class's rows, drawn by a fixed shuffle, for validation. */
function splitByClass(data: DatasetData, width: number, fraction: number) {
  const rng = seedrandom('auto-settings');
  const order = [...data.labelIndex.keys()]
    .map((row) => ({ row, key: rng() }))
    .sort((a, b) => a.key - b.key)
    .map(({ row }) => row);
  const counts = new Map<number, number>();
  for (const label of data.labelIndex) counts.set(label, (counts.get(label) ?? 0) + 1);
  const held = new Map<number, number>();
  const [trainRows, validationRows]: [number[], number[]] = [[], []];
  for (const row of order) {
    const label = data.labelIndex[row]!;
    const taken = held.get(label) ?? 0;
    const hold = taken < Math.round(counts.get(label)! * fraction);
    if (hold) held.set(label, taken + 1);
    (hold ? validationRows : trainRows).push(row);
  }
  return { train: pick(data, width, trainRows), validation: pick(data, width, validationRows) };
}

/** A from-scratch recipe on split rows: the same inputs for every run. */
function fixed(
  name: string,
  request: Recipe['request'],
  epochs: number,
  split: { train: DatasetData; validation: DatasetData },
  shape: { featureShape: number[]; labels: string[]; images?: true },
): Recipe {
  const inputs = { ...shape, data: split.train, validationData: split.validation };
  const [trainRows, validationRows] = [split.train.labelIndex.length, split.validation.labelIndex.length];
  return { name, request, epochs, trainRows, validationRows, inputs: () => Promise.resolve(inputs) };
}

async function digitsRecipes(): Promise<Recipe[]> {
  const all = await digits();
  const split = splitByClass(all.data, 64, 0.2);
  const shape = { featureShape: [64], labels: all.labels };
  return [
    fixed('digits, MLP [64]', { architecture: { type: 'mlp', hiddenUnits: [64] } }, 30, split, shape),
    fixed('digits, CNN [16, 32]', { architecture: DIGITS_CNN }, 20, split, shape),
  ];
}

/** A CNN base trained once on digits 0–4 (fixed settings), reloaded for each head trained on 5–9. */
async function digitsTransfer(): Promise<Recipe> {
  const low = await digits((label) => Number(label) < 5);
  const high = await digits((label) => Number(label) >= 5);
  const baseRequest = {
    architecture: DIGITS_CNN,
    hyperparameters: { epochs: 10, learningRate: 3e-3 },
    seed: 1,
  };
  const base = await train({
    spec: resolveJobSpec({ dataset: 'ds_bench_base', ...baseRequest }, () => 1),
    featureShape: [64],
    labels: low.labels,
    data: low.data,
  });
  const files = await ModelStore.serialize(base.model, {});
  const { preprocessing } = base;
  base.dispose();
  const split = splitByClass(high.data, 64, 0.2);
  const recipe = fixed('digits transfer 0–4 → 5–9', { baseModel: 'mdl_bench' }, 20, split, {
    featureShape: [64],
    labels: high.labels,
  });
  const inputs = await recipe.inputs();
  recipe.inputs = async () => ({
    ...inputs,
    base: await loadSerialized(files),
    basePreprocessing: preprocessing?.standardize ?? null,
    basePixels: preprocessing?.pixels ?? null,
  });
  return recipe;
}

const [penguinsHeader, ...penguinsLines] = readFileSync(
  new URL('../datasets/penguins.csv', import.meta.url),
  'utf8',
)
  .trim()
  .split('\n');

/** The penguins with a value in `column`, 80/20 by a fixed shuffle, encoded as bench/tabular.ts does. */
async function penguins(column: string): Promise<{ train: ParsedDataset; validation: ParsedDataset }> {
  const at = penguinsHeader!.split(',').indexOf(column);
  const rng = seedrandom('penguins');
  const order = penguinsLines
    .filter((line) => line.split(',')[at] !== 'NA')
    .map((row) => ({ row, key: rng() }))
    .sort((a, b) => a.key - b.key)
    .map(({ row }) => row);
  const held = Math.round(order.length * 0.2);
  const csv = (rows: string[]) => ({ body: Buffer.from([penguinsHeader, ...rows].join('\n')) });
  const options = { labelColumn: column };
  const train = await FORMATS[0].parse(csv(order.slice(held)), options, { maxClasses: 1000 });
  const validation = await FORMATS[0].parse(csv(order.slice(0, held)), options, {
    maxClasses: 1000,
    columns: train.columns!,
  });
  // The validation rows' labels as the training labels number them.
  const index = validation.labels.map((label) => train.labels.indexOf(label));
  return { train, validation: { ...validation, labelIndex: validation.labelIndex.map((i) => index[i]!) } };
}

async function penguinsRecipes(): Promise<Recipe[]> {
  const mlp: Architecture = { type: 'mlp', hiddenUnits: [32] };
  const recipes: Recipe[] = [];
  for (const [name, column, task] of [
    ['penguins species, MLP [32]', 'species', 'classification'],
    ['penguins body mass (R²), MLP [32]', 'body_mass_g', 'regression'],
  ] as const) {
    const { train, validation } = await penguins(column);
    recipes.push(
      fixed(
        name,
        { task, architecture: mlp },
        40,
        { train, validation },
        {
          featureShape: train.featureShape,
          labels: train.labels,
        },
      ),
    );
  }
  return recipes;
}

async function fashionRecipe(): Promise<Recipe> {
  const all = await fashionData(await fashionClasses());
  const split = splitByClass(all.data, 28 * 28, 1 / 3);
  const cnn: Architecture = { type: 'cnn', inputShape: [28, 28, 1], filters: [16, 32], denseUnits: 64 };
  return fixed('Fashion-MNIST 300 PNGs, CNN [16, 32]', { architecture: cnn }, 30, split, {
    featureShape: all.featureShape,
    labels: all.labels,
    images: true,
  });
}

interface Run {
  metric: number;
  seconds: number;
  epochsRun: number;
  settings: { batchSize: number; epochs: number; learningRate: number };
}

/** One job as the service would run it: automatic settings settled against the training rows, then trained. */
async function run(recipe: Recipe, hyperparameters: Hyperparameters, seed: number): Promise<Run> {
  const resolved = resolveJobSpec(
    { dataset: 'ds_bench', ...recipe.request, hyperparameters, seed },
    () => seed,
  );
  resolved.validation = { dataset: 'ds_bench_validation' };
  const spec = settleAutoSettings(resolved, {
    trainRows: recipe.trainRows,
    hasValidation: true,
    fits: () => true,
  });
  const inputs = await recipe.inputs();
  const started = performance.now();
  const result = await train({ spec, ...inputs });
  const seconds = (performance.now() - started) / 1000;
  const metric = result.regressionEvaluation
    ? (result.regressionEvaluation.r2 ?? Number.NaN)
    : (result.evaluation?.accuracy ?? Number.NaN);
  const { batchSize, epochs, learningRate } = spec.hyperparameters;
  const epochsRun = result.history.length;
  result.dispose();
  return { metric, seconds, epochsRun, settings: { batchSize, epochs, learningRate } };
}

/** The runs of one setting over every seed: the mean metric, the total time. */
async function setting(recipe: Recipe, hyperparameters: Hyperparameters): Promise<Run & { ran: number[] }> {
  const runs: Run[] = [];
  for (let seed = 1; seed <= SEEDS; seed++) runs.push(await run(recipe, hyperparameters, seed));
  const metric = runs.reduce((n, r) => n + r.metric, 0) / runs.length;
  const seconds = runs.reduce((n, r) => n + r.seconds, 0);
  return { ...runs[0]!, metric, seconds, ran: runs.map((r) => r.epochsRun) };
}

const rate = (value: number) => value.toExponential(0);

/** Trains and prints one recipe; returns whether the automatic settings came within {@link GOAL} of the sweep. */
async function measure(recipe: Recipe): Promise<{ gap: number; met: boolean }> {
  const metricName = recipe.request.task === 'regression' ? 'R²' : 'accuracy';
  console.log(`\n${recipe.name}: ${recipe.trainRows} training / ${recipe.validationRows} validation rows`);
  const auto = await setting(recipe, undefined);
  const a = auto.settings;
  console.log(
    `  auto   batch ${a.batchSize}, lr ${rate(a.learningRate)}, epochs ${a.epochs} (ran ${auto.ran.join(', ')}): ` +
      `${metricName} ${auto.metric.toFixed(3)}  ${auto.seconds.toFixed(1)} s`,
  );
  const batches = BATCHES.filter((batch) => batch <= recipe.trainRows / 4);
  let best: { metric: number; label: string } | null = null;
  let sweepSeconds = 0;
  for (const learningRate of RATES) {
    const cells: string[] = [];
    for (const batchSize of batches) {
      const done = await setting(recipe, { epochs: recipe.epochs, batchSize, learningRate });
      sweepSeconds += done.seconds;
      cells.push(`batch ${batchSize} ${done.metric.toFixed(3)} (${done.seconds.toFixed(1)} s)`);
      if (!best || done.metric > best.metric)
        best = { metric: done.metric, label: `batch ${batchSize}, lr ${rate(learningRate)}` };
    }
    console.log(`  sweep  lr ${rate(learningRate)}, ${recipe.epochs} epochs: ${cells.join('  ')}`);
  }
  const gap = best!.metric - auto.metric;
  console.log(
    `  best   ${metricName} ${best!.metric.toFixed(3)} at ${best!.label} (sweep ${sweepSeconds.toFixed(1)} s); ` +
      `gap ${gap.toFixed(3)}`,
  );
  return { gap, met: gap <= GOAL };
}

const backend = await selectBackend('auto');
console.log(
  `backend ${backend.name} (${backend.device}); ${SEEDS} seed${SEEDS === 1 ? '' : 's'} per setting; ` +
    `sweep lr {${RATES.map(rate).join(', ')}} × batch {${BATCHES.join(', ')}}, no early stopping`,
);
const started = performance.now();
const recipes = [
  ...(await digitsRecipes()),
  await digitsTransfer(),
  ...(await penguinsRecipes()),
  await fashionRecipe(),
];
const outcomes: string[] = [];
for (const recipe of recipes) {
  const { gap, met } = await measure(recipe);
  outcomes.push(`${recipe.name.padEnd(40)} gap ${gap.toFixed(3)}  gap ≤ ${GOAL}: ${met ? 'yes' : 'no'}`);
}
const seconds = ((performance.now() - started) / 1000).toFixed(0);
console.log(`\n${outcomes.join('\n')}\ntotal ${seconds} s; tensors left: ${tf.memory().numTensors}`);
