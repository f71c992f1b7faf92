/**
 * Part 4 of `npm run bench:small-job`: the same transfer in PyTorch (bench/small-job-torch.py), on the rows and
 * split the service trains on, when python3 can import torch.
 */
import type { DatasetData } from '../src/datasets/dataset-store.js';
import type { PixelScaling } from '../src/models/preprocessing.js';
import { runTorchScript, torchMissing } from './python-torch.js';
import { BASE, HEAD, scaledRows, SEED, splitOf, TRANSFER } from './small-job-parts.js';

interface TorchFigures {
  version: string;
  threads: string;
  baseAccuracy: number;
  variants: Array<{ variant: string; seconds: number; accuracy: number; threads: number }>;
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
  return runTorchScript<TorchFigures>('small-job-torch.py', body);
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
    `\n4. PyTorch ${torch.version}, ${torch.threads} threads for each timing (OMP_WAIT_POLICY=${process.env.OMP_WAIT_POLICY ?? 'PASSIVE'}), ` +
      `same rows and scaling; base trained untimed ` +
      `(validation accuracy ${torch.baseAccuracy.toFixed(3)}); the head, timed:`,
  );
  for (const { variant, seconds, accuracy, threads } of torch.variants) {
    const time = `${(seconds * 1000).toFixed(0)}`.padStart(8);
    console.log(
      `  ${variant.padEnd(58)}${time}  ms on ${threads}, validation accuracy ${accuracy.toFixed(3)}`,
    );
  }
  return torch;
}
