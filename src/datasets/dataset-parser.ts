import { parse as parseCsvRows } from 'csv-parse/sync';
import { badRequest } from '../errors.js';

/** A dataset as validated numbers: row-major features of one shape, and one label per row. */
export interface ParsedDataset {
  rows: number;
  featureShape: number[];
  features: Float32Array;
  /** Distinct labels, sorted (numerically where they are numbers). */
  labels: string[];
  /** Per row, the index of its label in `labels`. */
  labelIndex: Uint32Array;
  labelCounts: Record<string, number>;
}

export type DatasetFormat = 'csv' | 'ndjson' | 'json';

const FLOAT32_MAX = 3.4028234663852886e38;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_RANK = 4;

export const compareLabels = new Intl.Collator('en', { numeric: true }).compare;

/** A 400 naming the row (1-based, header not counted) and, where one is at fault, the column. */
function rowError(row: number, column: string | null, message: string): Error {
  const where = column === null ? `row ${row}` : `row ${row}, column '${column}'`;
  return badRequest('invalid_dataset', `${where}: ${message}`, { row, column });
}

/** Shape of a nested number array, following its first elements. */
function shapeOf(value: unknown, row: number): number[] {
  const shape: number[] = [];
  let cursor = value;
  while (Array.isArray(cursor)) {
    if (cursor.length === 0) throw rowError(row, 'x', 'empty arrays are not features');
    shape.push(cursor.length);
    if (shape.length > MAX_RANK) throw rowError(row, 'x', `features may have at most ${MAX_RANK} dimensions`);
    cursor = cursor[0];
  }
  if (shape.length === 0) throw rowError(row, 'x', 'must be an array of numbers');
  return shape;
}

function checkNumber(value: unknown, row: number, column: () => string): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || Math.abs(value) > FLOAT32_MAX) {
    throw rowError(row, column(), `${JSON.stringify(value) ?? String(value)} is not a finite 32-bit number`);
  }
  return value;
}

/** Accumulates validated rows; the first row fixes the feature shape. */
class RowCollector {
  private shape: number[] | undefined;
  private values: number[] = [];
  private rawLabels: string[] = [];

  addFlat(values: number[], label: string): void {
    for (const value of values) this.values.push(value);
    this.rawLabels.push(label);
  }

  setShape(shape: number[]): void {
    this.shape = shape;
  }

  /** Adds a JSON row: `x` a (nested) number array, `y` a string or number label. */
  addJson(x: unknown, y: unknown, row: number): void {
    if (!this.shape) this.setShape(shapeOf(x, row));
    const shape = this.shape!;
    const start = this.values.length;
    const walk = (value: unknown, depth: number, path: string): void => {
      if (depth === shape.length) {
        this.values.push(checkNumber(value, row, () => `x${path}`));
        return;
      }
      if (!Array.isArray(value) || value.length !== shape[depth]) {
        throw rowError(
          row,
          `x${path}`,
          `expected an array of length ${shape[depth]} (feature shape [${shape.join(', ')}]), got ${describe(value)}`,
        );
      }
      for (let i = 0; i < value.length; i++) walk(value[i], depth + 1, `${path}[${i}]`);
    };
    try {
      walk(x, 0, '');
    } catch (error) {
      this.values.length = start;
      throw error;
    }
    this.rawLabels.push(checkLabel(y, row));
  }

  finish(): ParsedDataset {
    const rows = this.rawLabels.length;
    if (rows < 2) throw badRequest('invalid_dataset', `a dataset needs at least 2 rows, this one has ${rows}`);
    const labels = [...new Set(this.rawLabels)].sort(compareLabels);
    if (labels.length < 2) {
      throw badRequest('invalid_dataset', `a dataset needs at least 2 classes, this one has only '${labels[0]}'`, {
        column: 'label',
      });
    }
    const position = new Map(labels.map((label, i) => [label, i]));
    const labelIndex = new Uint32Array(rows);
    const labelCounts: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
    this.rawLabels.forEach((label, i) => {
      labelIndex[i] = position.get(label)!;
      labelCounts[label]! += 1;
    });
    return {
      rows,
      featureShape: this.shape!,
      features: Float32Array.from(this.values),
      labels,
      labelIndex,
      labelCounts,
    };
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return value === null ? 'null' : typeof value;
}

function checkLabel(y: unknown, row: number): string {
  if (typeof y === 'number' && Number.isFinite(y)) return String(y);
  if (typeof y === 'string' && y.trim() !== '' && y.length <= 200) return y.trim();
  throw rowError(row, 'y', 'the label must be a non-empty string (at most 200 characters) or a finite number');
}

/** Parses CSV: a header row, one label column, every other column a number. */
export function parseCsv(body: Buffer, labelColumn = 'label'): ParsedDataset {
  let records: string[][];
  try {
    records = parseCsvRows(body, { bom: true, skip_empty_lines: true, relax_column_count: true, trim: true });
  } catch (error) {
    const info = error as { lines?: number; message: string };
    throw badRequest('invalid_dataset', `the CSV cannot be read: ${info.message}`, { line: info.lines });
  }
  const header = records[0];
  if (!header) throw badRequest('invalid_dataset', 'the CSV is empty: expected a header row and data rows');
  const labelAt = header.indexOf(labelColumn);
  if (labelAt < 0) {
    throw badRequest('invalid_dataset', `the header has no '${labelColumn}' column (set labelColumn= to name it)`, {
      column: labelColumn,
      header,
    });
  }
  const collector = new RowCollector();
  collector.setShape([header.length - 1]);
  for (let r = 1; r < records.length; r++) {
    const record = records[r]!;
    if (record.length !== header.length) {
      throw rowError(r, header[Math.min(record.length, header.length - 1)] ?? null, `has ${record.length} columns, the header has ${header.length}`);
    }
    const values: number[] = [];
    for (let c = 0; c < record.length; c++) {
      if (c === labelAt) continue;
      const cell = record[c]!;
      if (!DECIMAL.test(cell)) throw rowError(r, header[c]!, `'${cell.slice(0, 40)}' is not a number`);
      values.push(checkNumber(Number(cell), r, () => header[c]!));
    }
    const label = record[labelAt]!;
    if (label === '') throw rowError(r, labelColumn, 'the label is empty');
    collector.addFlat(values, label);
  }
  return collector.finish();
}

/** Parses NDJSON: one `{"x": [...], "y": label}` object per line. */
export function parseNdjson(body: Buffer): ParsedDataset {
  const collector = new RowCollector();
  const lines = body.toString('utf8').split('\n');
  let row = 0;
  for (const line of lines) {
    if (line.trim() === '') continue;
    row += 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      throw rowError(row, null, 'the line is not valid JSON');
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      throw rowError(row, null, 'the line must be an object {"x": [...], "y": label}');
    }
    const { x, y } = value as { x?: unknown; y?: unknown };
    collector.addJson(x, y, row);
  }
  return collector.finish();
}

/** Parses a JSON body `{"x": [...rows], "y": [...labels]}`. */
export function parseJsonColumns(body: unknown): ParsedDataset {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('invalid_dataset', 'the body must be an object {"x": [...], "y": [...]}', { field: '/' });
  }
  const { x, y } = body as { x?: unknown; y?: unknown };
  if (!Array.isArray(x)) throw badRequest('invalid_dataset', "'x' must be an array of feature rows", { field: '/x' });
  if (!Array.isArray(y)) throw badRequest('invalid_dataset', "'y' must be an array of labels", { field: '/y' });
  if (x.length !== y.length) {
    throw badRequest('invalid_dataset', `'x' has ${x.length} rows but 'y' has ${y.length} labels`, { field: '/y' });
  }
  const collector = new RowCollector();
  for (let i = 0; i < x.length; i++) collector.addJson(x[i], y[i], i + 1);
  return collector.finish();
}
