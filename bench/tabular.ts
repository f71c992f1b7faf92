/**
 * `npm run bench:tabular`: the service's tabular recipes on real data with text, numbers and missing values
 * (datasets/penguins.csv), held-out metrics over three seeds, beside PyTorch's on the same splits, encoded rows,
 * preprocessing, network and Adam (bench/tabular-torch.py, when python3 can import torch; never in tests).
 *
 * Recipes: species (3 classes) and sex (2 classes) from the other columns; body mass (g) as a regression, with MSE
 * and with Huber loss. Each splits the rows it has a label for, 80/20, by a fixed shuffle.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import seedrandom from 'seedrandom';
import { FORMATS } from '../src/datasets/formats/index.js';
import type { ParsedDataset } from '../src/datasets/rows.js';
import { resolveJobSpec } from '../src/jobs/job-spec.js';
import { selectBackend } from '../src/tf/backend.js';
import { train } from '../src/training/train.js';

const SEEDS = [1, 2, 3];
const NETWORK = { hiddenUnits: [32], epochs: 40, batchSize: 16, learningRate: 0.01 };
const csv = FORMATS[0];
const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

interface Recipe {
  name: string;
  label: string;
  task: 'classification' | 'regression';
  loss?: 'mse' | 'huber';
}
const RECIPES: Recipe[] = [
  { name: 'species (3 classes)', label: 'species', task: 'classification' },
  { name: 'sex (2 classes)', label: 'sex', task: 'classification' },
  { name: 'body mass, MSE', label: 'body_mass_g', task: 'regression', loss: 'mse' },
  { name: 'body mass, Huber', label: 'body_mass_g', task: 'regression', loss: 'huber' },
];

const [header, ...lines] = readFileSync(new URL('../datasets/penguins.csv', import.meta.url), 'utf8')
  .trim()
  .split('\n');

/** The rows with a label in `column`, split 80/20 by a fixed shuffle, as two CSVs. */
function split(column: string): [string, string] {
  const at = header!.split(',').indexOf(column);
  const rows = lines.filter((line) => line.split(',')[at] !== 'NA');
  const rng = seedrandom('penguins');
  const order = rows.map((row) => ({ row, key: rng() })).sort((a, b) => a.key - b.key);
  const held = Math.round(order.length * 0.2);
  const join = (part: typeof order) => [header, ...part.map(({ row }) => row)].join('\n');
  return [join(order.slice(held)), join(order.slice(0, held))];
}

/** Both splits as the service encodes them: the validation CSV with the training one's columns. */
async function encode(recipe: Recipe): Promise<{ train: ParsedDataset; validation: ParsedDataset }> {
  const [trainCsv, validationCsv] = split(recipe.label);
  const options = { labelColumn: recipe.label };
  const train = await csv.parse({ body: Buffer.from(trainCsv) }, options, { maxClasses: 1000 });
  const validation = await csv.parse({ body: Buffer.from(validationCsv) }, options, {
    maxClasses: 1000,
    columns: train.columns!,
  });
  // The validation rows' labels as the training labels number them.
  const index = validation.labels.map((label) => train.labels.indexOf(label));
  return { train, validation: { ...validation, labelIndex: validation.labelIndex.map((i) => index[i]!) } };
}

async function service(recipe: Recipe, data: Awaited<ReturnType<typeof encode>>, seed: number) {
  const spec = resolveJobSpec(
    {
      dataset: 'ds_bench',
      task: recipe.task,
      ...(recipe.loss && { loss: recipe.loss }),
      architecture: { type: 'mlp', hiddenUnits: NETWORK.hiddenUnits },
      hyperparameters: {
        epochs: NETWORK.epochs,
        batchSize: NETWORK.batchSize,
        learningRate: NETWORK.learningRate,
      },
      seed,
    },
    () => seed,
  );
  spec.validation = { dataset: 'ds_bench_validation' };
  const started = performance.now();
  const result = await train({
    spec,
    featureShape: data.train.featureShape,
    labels: data.train.labels,
    data: data.train,
    validationData: data.validation,
  });
  const seconds = (performance.now() - started) / 1000;
  const metric =
    recipe.task === 'regression' ? result.regressionEvaluation!.r2! : result.evaluation!.accuracy;
  result.dispose();
  return { metric, seconds };
}

function torchRuns(recipes: Array<{ recipe: Recipe; data: Awaited<ReturnType<typeof encode>> }>) {
  const body = recipes.map(({ recipe, data }) => ({
    name: recipe.name,
    task: recipe.task,
    loss: recipe.loss ?? null,
    classes: data.train.labels.length,
    seeds: SEEDS,
    ...NETWORK,
    train: rowsOf(data.train, recipe),
    validation: rowsOf(data.validation, recipe),
  }));
  const started = performance.now();
  const out = spawnSync(PYTHON, [new URL('./tabular-torch.py', import.meta.url).pathname], {
    input: JSON.stringify(body),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (out.status !== 0)
    return { runs: null, why: (out.stderr || String(out.error)).trim().split('\n').at(-1) };
  const seconds = (performance.now() - started) / 1000 / (recipes.length * SEEDS.length);
  const runs = out.stdout
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as Record<string, number | string>);
  return { runs, seconds };
}

/** Encoded rows as JSON: NaN (a missing value) as null, which the script reads back as NaN. */
function rowsOf(parsed: ParsedDataset, recipe: Recipe) {
  const width = parsed.featureShape[0]!;
  const x = Array.from({ length: parsed.rows }, (_, r) =>
    Array.from(parsed.features.subarray(r * width, (r + 1) * width), (v) => (Number.isNaN(v) ? 'NaN' : v)),
  );
  const y = recipe.task === 'regression' ? Array.from(parsed.targets!) : Array.from(parsed.labelIndex);
  return { x, y };
}

const stats = (values: number[]) => {
  const mean = values.reduce((n, v) => n + v, 0) / values.length;
  return `${mean.toFixed(3)} (${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)})`;
};

const backend = await selectBackend((process.env.TFJS_BACKEND as 'auto' | undefined) ?? 'auto');
console.log(`backend ${backend.name}; MLP [32], Adam 0.01, 40 epochs, batch 16; seeds ${SEEDS.join(', ')}`);
const encoded = await Promise.all(RECIPES.map(async (recipe) => ({ recipe, data: await encode(recipe) })));
const torch = torchRuns(encoded);
if (!torch.runs) console.log(`PyTorch: not run (${torch.why})`);
for (const { recipe, data } of encoded) {
  const metric = recipe.task === 'regression' ? 'r2' : 'accuracy';
  const ours = [];
  for (const seed of SEEDS) ours.push(await service(recipe, data, seed));
  const theirs = torch.runs?.filter((run) => run.recipe === recipe.name).map((run) => run[metric] as number);
  const seconds = ours.reduce((n, run) => n + run.seconds, 0) / ours.length;
  console.log(
    `${recipe.name.padEnd(20)} ${data.train.rows}/${data.validation.rows} rows, ${data.train.featureShape[0]} features: ` +
      `held-out ${metric} service ${stats(ours.map((run) => run.metric))}` +
      (theirs ? `, PyTorch ${stats(theirs)}` : '') +
      `; ${seconds.toFixed(2)} s a run` +
      (torch.runs ? ` (PyTorch ${torch.seconds.toFixed(2)} s)` : ''),
  );
}
