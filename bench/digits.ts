import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseCsv, type ParsedDataset } from '../src/datasets/dataset-parser.js';
import type { DatasetData } from '../src/datasets/dataset-store.js';

/** The bundled digits, optionally only some classes, relabelled to indices of the kept labels. */
export async function digits(
  keep: (label: string) => boolean = () => true,
): Promise<{ labels: string[]; data: DatasetData; rows: number }> {
  const all: ParsedDataset = await parseCsv(
    fs.readFileSync(fileURLToPath(new URL('../datasets/digits-8x8.csv', import.meta.url))),
    { maxClasses: 10 },
  );
  const rows = [...all.labelIndex.keys()].filter((row) => keep(all.labels[all.labelIndex[row]!]!));
  const labels = all.labels.filter(keep);
  const features = new Float32Array(rows.length * 64);
  rows.forEach((row, i) => features.set(all.features.subarray(row * 64, row * 64 + 64), i * 64));
  const labelIndex = Uint32Array.from(rows, (row) => labels.indexOf(all.labels[all.labelIndex[row]!]!));
  return { labels, data: { features, labelIndex }, rows: rows.length };
}
