import { CsvError, parse as csvParser } from 'csv-parse';
import { Readable } from 'node:stream';
import { badRequest } from '../errors.js';
import { nextMacrotask } from '../event-loop.js';

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

export interface ParseLimits {
  /** Most distinct labels a dataset may have. */
  maxClasses: number;
}

const FLOAT32_MAX = 3.4028234663852886e38;
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;
const MAX_RANK = 4;
const MAX_LABEL_LENGTH = 200;
/** Rows parsed between turns of the event loop, so a large upload does not stall other requests. */
const ROWS_PER_TURN = 2000;
const CHUNK_BYTES = 64 * 1024;

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

/** True for a number that fits a float32 without becoming infinite: what a feature value may be. */
export function isFiniteFloat32(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= FLOAT32_MAX;
}

/**
 * A value as an error message shows it: numbers and short strings as they are, anything else by its kind, so
 * that a hostile value (deeply nested, huge) cannot make the message itself fail or grow.
 */
export function showValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  return describe(value);
}

function checkNumber(value: unknown, row: number, column: () => string): number {
  if (!isFiniteFloat32(value)) throw rowError(row, column(), `${showValue(value)} is not a finite 32-bit number`);
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return value === null ? 'null' : typeof value;
}

function checkLabel(y: unknown, row: number, column: string): string {
  if (typeof y === 'number' && Number.isFinite(y)) return String(y);
  if (typeof y !== 'string') throw rowError(row, column, 'the label must be a string or a finite number');
  const label = y.trim();
  if (label === '') throw rowError(row, column, 'the label is empty');
  if (label.length > MAX_LABEL_LENGTH) throw rowError(row, column, `the label is longer than ${MAX_LABEL_LENGTH} characters`);
  return label;
}

/** Accumulates validated rows into growing typed arrays; the first row fixes the feature shape. */
class RowCollector {
  private shape: number[] | undefined;
  private features = new Float32Array(4096);
  private used = 0;
  private rowLabels = new Uint32Array(256);
  private rows = 0;
  private readonly labelIds = new Map<string, number>();

  constructor(private readonly limits: ParseLimits) {}

  setShape(shape: number[]): void {
    this.shape = shape;
  }

  private push(value: number): void {
    if (this.used === this.features.length) {
      const grown = new Float32Array(this.features.length * 2);
      grown.set(this.features);
      this.features = grown;
    }
    this.features[this.used++] = value;
  }

  private endRow(label: string, row: number, column: string): void {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labelIds.size;
      if (id >= this.limits.maxClasses) {
        throw rowError(row, column, `more than ${this.limits.maxClasses} distinct labels (MAX_CLASSES)`);
      }
      this.labelIds.set(label, id);
    }
    if (this.rows === this.rowLabels.length) {
      const grown = new Uint32Array(this.rowLabels.length * 2);
      grown.set(this.rowLabels);
      this.rowLabels = grown;
    }
    this.rowLabels[this.rows++] = id;
  }

  /** Adds a CSV row: its cells, the label column skipped. */
  addCsv(record: string[], header: string[], labelAt: number, row: number): void {
    for (let c = 0; c < record.length; c++) {
      if (c === labelAt) continue;
      const cell = record[c]!;
      if (!DECIMAL.test(cell)) throw rowError(row, header[c]!, `'${cell.slice(0, 40)}' is not a number`);
      this.push(checkNumber(Number(cell), row, () => header[c]!));
    }
    this.endRow(checkLabel(record[labelAt], row, header[labelAt]!), row, header[labelAt]!);
  }

  /** Adds a JSON row: `x` a (nested) number array, `y` a string or number label. */
  addJson(x: unknown, y: unknown, row: number): void {
    if (!this.shape) this.setShape(shapeOf(x, row));
    const shape = this.shape!;
    const start = this.used;
    const walk = (value: unknown, depth: number, path: string): void => {
      if (depth === shape.length) {
        this.push(checkNumber(value, row, () => `x${path}`));
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
      this.used = start;
      throw error;
    }
    this.endRow(checkLabel(y, row, 'y'), row, 'y');
  }

  finish(): ParsedDataset {
    const rows = this.rows;
    if (rows < 2) throw badRequest('invalid_dataset', `a dataset needs at least 2 rows, this one has ${rows}`);
    const labels = [...this.labelIds.keys()].sort(compareLabels);
    if (labels.length < 2) {
      throw badRequest('invalid_dataset', `a dataset needs at least 2 classes, this one has only '${labels[0]}'`, {
        column: 'label',
      });
    }
    // Label ids were handed out in order of appearance; rows get the index of their label in sorted order.
    const sortedIndex = new Uint32Array(labels.length);
    for (const [label, id] of this.labelIds) sortedIndex[id] = labels.indexOf(label);
    const labelIndex = new Uint32Array(rows);
    const labelCounts: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
    for (let i = 0; i < rows; i++) {
      const index = sortedIndex[this.rowLabels[i]!]!;
      labelIndex[i] = index;
      labelCounts[labels[index]!]! += 1;
    }
    return {
      rows,
      featureShape: this.shape!,
      features: this.features.slice(0, this.used),
      labels,
      labelIndex,
      labelCounts,
    };
  }
}

function* chunks(body: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < body.byteLength; offset += CHUNK_BYTES) yield body.subarray(offset, offset + CHUNK_BYTES);
}

/** Parses CSV, streaming: a header row, one label column, every other column a number. */
export async function parseCsv(body: Buffer, limits: ParseLimits, labelColumn = 'label'): Promise<ParsedDataset> {
  const parser = Readable.from(chunks(body)).pipe(
    csvParser({ bom: true, skip_empty_lines: true, relax_column_count: true, trim: true, max_record_size: 1 << 20 }),
  );
  const collector = new RowCollector(limits);
  let header: string[] | undefined;
  let labelAt = -1;
  let row = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record;
        labelAt = header.indexOf(labelColumn);
        if (labelAt < 0) {
          throw badRequest('invalid_dataset', `the header has no '${labelColumn}' column (set labelColumn= to name it)`, {
            column: labelColumn,
            header: header.slice(0, 100),
          });
        }
        const seen = new Set<string>();
        for (const name of header) {
          if (seen.has(name))
            throw badRequest('invalid_dataset', `the header names the column '${name}' twice`, { column: name });
          seen.add(name);
        }
        if (header.length < 2) throw badRequest('invalid_dataset', 'the header names no feature column besides the label', { column: labelColumn });
        collector.setShape([header.length - 1]);
        continue;
      }
      row += 1;
      if (record.length !== header.length) {
        throw rowError(row, header[Math.min(record.length, header.length - 1)] ?? null, `has ${record.length} columns, the header has ${header.length}`);
      }
      collector.addCsv(record, header, labelAt, row);
      if (row % ROWS_PER_TURN === 0) await nextMacrotask();
    }
  } catch (error) {
    parser.destroy();
    if (error instanceof CsvError) {
      const info = error as { lines?: number; message: string };
      throw badRequest('invalid_dataset', `the CSV cannot be read: ${info.message}`, { line: info.lines });
    }
    throw error;
  }
  if (!header) throw badRequest('invalid_dataset', 'the CSV is empty: expected a header row and data rows');
  return collector.finish();
}

/** Parses NDJSON, line by line: one `{"x": [...], "y": label}` object per line. */
export async function parseNdjson(body: Buffer, limits: ParseLimits): Promise<ParsedDataset> {
  const collector = new RowCollector(limits);
  let row = 0;
  for (let start = 0; start < body.byteLength; ) {
    let end = body.indexOf(0x0a, start);
    if (end < 0) end = body.byteLength;
    const line = body.toString('utf8', start, end);
    start = end + 1;
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
    if (row % ROWS_PER_TURN === 0) await nextMacrotask();
  }
  return collector.finish();
}

/** Parses a JSON body `{"x": [...rows], "y": [...labels]}`. */
export async function parseJsonColumns(body: unknown, limits: ParseLimits): Promise<ParsedDataset> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw badRequest('invalid_dataset', 'the body must be an object {"x": [...], "y": [...]}', { field: '/' });
  }
  const { x, y } = body as { x?: unknown; y?: unknown };
  if (!Array.isArray(x)) throw badRequest('invalid_dataset', "'x' must be an array of feature rows", { field: '/x' });
  if (!Array.isArray(y)) throw badRequest('invalid_dataset', "'y' must be an array of labels", { field: '/y' });
  if (x.length !== y.length) {
    throw badRequest('invalid_dataset', `'x' has ${x.length} rows but 'y' has ${y.length} labels`, { field: '/y' });
  }
  const collector = new RowCollector(limits);
  for (let i = 0; i < x.length; i++) {
    collector.addJson(x[i], y[i], i + 1);
    if ((i + 1) % ROWS_PER_TURN === 0) await nextMacrotask();
  }
  return collector.finish();
}
