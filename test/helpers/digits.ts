import fs from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The real dataset: 1797 rows of 8×8 handwritten digits, columns label,p0..p63, pixel values 0–16. */
export const DIGITS_PATH = fileURLToPath(new URL('../../datasets/digits-8x8.csv', import.meta.url));

export interface DigitRow {
  label: string;
  pixels: number[];
}

let cache: { header: string; rows: DigitRow[] } | undefined;

function load() {
  if (!cache) {
    const [header, ...lines] = fs.readFileSync(DIGITS_PATH, 'utf8').trim().split('\n');
    cache = {
      header: header!.trim(),
      rows: lines.map((line) => {
        const [label, ...pixels] = line.trim().split(',');
        return { label: label!, pixels: pixels.map(Number) };
      }),
    };
  }
  return cache;
}

/** Rows of the given labels (all when omitted), at most `perClass` of each, in file order. */
export function digitRows(options: { labels?: string[]; perClass?: number } = {}): DigitRow[] {
  const taken = new Map<string, number>();
  return load().rows.filter(({ label }) => {
    if (options.labels && !options.labels.includes(label)) return false;
    const count = taken.get(label) ?? 0;
    if (options.perClass !== undefined && count >= options.perClass) return false;
    taken.set(label, count + 1);
    return true;
  });
}

/** A CSV body (the file's own header) holding {@link digitRows}. */
export function digitsCsv(options: { labels?: string[]; perClass?: number } = {}): string {
  const rows = digitRows(options).map((row) => [row.label, ...row.pixels].join(','));
  return `${load().header}\n${rows.join('\n')}\n`;
}

/** {@link digitRows} as the training code takes them: labels sorted, features flat, one label index per row. */
export function digitsData(options: { labels?: string[]; perClass?: number } = {}) {
  const rows = digitRows(options);
  const labels = [...new Set(rows.map((row) => row.label))].sort((a, b) => Number(a) - Number(b));
  return {
    labels,
    featureShape: [64],
    data: {
      features: Float32Array.from(rows.flatMap((row) => row.pixels)),
      labelIndex: Uint32Array.from(rows.map((row) => labels.indexOf(row.label))),
    },
  };
}
