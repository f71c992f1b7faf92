/**
 * Part 4 of `npm run bench:small-job`: the same transfer in PyTorch (bench/small-job-torch.py), on the rows and
 * split the service trains on, when python3 can import torch.
 */
import { spawnSync } from 'node:child_process';
import type { DatasetData } from '../src/datasets/dataset-store.js';
import type { PixelScaling } from '../src/models/preprocessing.js';
import { BASE, HEAD, scaledRows, SEED, splitOf, TRANSFER } from './small-job-parts.js';

const PYTHON = process.env.BENCH_PYTHON ?? '/usr/bin/python3';

/** Why PyTorch cannot run here, or null when it can. */
function torchMissing(): string | null {
  const probe = spawnSync(PYTHON, ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  if (probe.status === 0) return null;
  return (probe.stderr || String(probe.error)).trim().split('\n').at(-1) ?? 'unknown';
}

interface TorchFigures {
  version: string;
  threads: number;
  baseAccuracy: number;
  variants: Array<{ variant: string; seconds: number; accuracy: number }>;
}

/**
 * PyTorch's run on the same rows, scaled the same way: the base trained on the base job's training split
 * (untimed), then the head twice, timed: through the frozen base every epoch, and on features computed once.
 * A failure is reported, not thrown: PyTorch is a comparison, not something the bench depends on.
 */
function torchTransfer(
  baseData: DatasetData,
  data: DatasetData,
  pixels: PixelScaling | null,
): TorchFigures | { skipped: string } {
  const rowsOf = (from: DatasetData, rows: Uint32Array) => ({
    x: Array.from(scaledRows(from, rows, pixels)),
    y: Array.from(rows, (row) => from.labelIndex[row]!),
  });
  const [baseSplit, split] = [splitOf(baseData, 5), splitOf(data, 5)];
  const body = {
    seed: SEED,
    classes: 5,
    filters: [16, 32],
    denseUnits: 64,
    baseDropout: 0.25,
    base: {
      ...BASE,
      train: rowsOf(baseData, baseSplit.train),
      validation: rowsOf(baseData, baseSplit.validation),
    },
    head: { ...TRANSFER, ...HEAD },
    train: rowsOf(data, split.train),
    validation: rowsOf(data, split.validation),
  };
  const out = spawnSync(PYTHON, [new URL('./small-job-torch.py', import.meta.url).pathname], {
    // OpenMP threads that spin while they wait for work fight for a shared machine's cores: 2 threads ran ~15×
    // slower than 1 here with them spinning.
    env: { OMP_WAIT_POLICY: 'PASSIVE', ...process.env },
    input: JSON.stringify(body),
    encoding: 'utf8',
    maxBuffer: 1 << 24,
  });
  if (out.status !== 0)
    return {
      skipped: `small-job-torch.py failed: ${(out.stderr || String(out.error)).trim().split('\n').at(-1)}`,
    };
  return JSON.parse(out.stdout) as TorchFigures;
}

/** Part 4: PyTorch's figures, printed; null (and said so) when it cannot run here. */
export function torchPart(baseData: DatasetData, data: DatasetData, pixels: PixelScaling | null) {
  const missing = torchMissing();
  const torch = missing
    ? { skipped: `python3 cannot import torch (${missing})` }
    : torchTransfer(baseData, data, pixels);
  if ('skipped' in torch) {
    console.log(`\n4. PyTorch: skipped: ${torch.skipped}`);
    return null;
  }
  console.log(
    `\n4. PyTorch ${torch.version}, ${torch.threads} threads (OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}), ` +
      `same rows and scaling; base trained untimed ` +
      `(validation accuracy ${torch.baseAccuracy.toFixed(3)}); the head, timed:`,
  );
  for (const { variant, seconds, accuracy } of torch.variants) {
    const time = `${(seconds * 1000).toFixed(0)}`.padStart(8);
    console.log(`  ${variant.padEnd(58)}${time}  ms, validation accuracy ${accuracy.toFixed(3)}`);
  }
  return torch;
}
