import { badRequest } from '../errors.js';
import { MISSING_TOKENS, numericValue, type Column } from './columns.js';
import type { ImageLimits } from './images/image-limits.js';

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
  /** A CSV's feature columns, and how each became features. */
  columns?: Column[];
  /** Each row's label as a number, when every label is one: what a regression job learns. */
  targets?: Float32Array;
}

export interface ParseLimits {
  /** Most distinct labels a dataset may have. */
  maxClasses: number;
  /** How large an image archive may be; only image formats read them. */
  images?: ImageLimits;
  /** CSV: the columns of the dataset `columnsFrom` names, resolved by the route, to encode the rows as it does. */
  columns?: Column[];
}

const FLOAT32_MAX = 3.4028234663852886e38;
const MAX_RANK = 4;
const MAX_LABEL_LENGTH = 200;
/** Rows parsed between turns of the event loop, so a large upload does not stall other requests. */
export const ROWS_PER_TURN = 2000;
/** Cells parsed between turns of the event loop, for CSVs whose rows are wide. */
export const CELLS_PER_TURN = 50_000;

export const compareLabels = new Intl.Collator('en', { numeric: true }).compare;

/** A 400 naming the row (1-based, header not counted) and, where one is at fault, the column. */
export function rowError(row: number, column: string | null, message: string): Error {
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

/** The value as a feature, or a row error naming the column (computed only when it fails). */
export function checkNumber(value: unknown, row: number, column: () => string): number {
  if (!isFiniteFloat32(value))
    throw rowError(row, column(), `${showValue(value)} is not a finite 32-bit number`);
  return value;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return value === null ? 'null' : typeof value;
}

/** The value as a label: a finite number or a non-empty, not too long string, trimmed. */
export function checkLabel(y: unknown, row: number, column: string): string {
  if (typeof y === 'number' && Number.isFinite(y)) return String(y);
  if (typeof y !== 'string') throw rowError(row, column, 'the label must be a string or a finite number');
  const label = y.trim();
  if (label === '') throw rowError(row, column, 'the label is empty');
  if (MISSING_TOKENS.has(label))
    throw rowError(row, column, `the label is missing ('${label}'): leave the row out, or give it its label`);
  if (label.length > MAX_LABEL_LENGTH) {
    throw rowError(row, column, `the label is longer than ${MAX_LABEL_LENGTH} characters`);
  }
  return label;
}

/**
 * Accumulates validated rows into growing typed arrays; the first row fixes the feature shape. A row is its
 * values, `push`ed one by one, then `endRow` with its label.
 */
export class RowCollector {
  private shape: number[] | undefined;
  private features = new Float32Array(4096);
  private used = 0;
  private rowLabels = new Uint32Array(256);
  private rows = 0;
  private readonly labelIds = new Map<string, number>();
  /** Each row's label as a number, while every label is one. */
  private targets: Float32Array | null = new Float32Array(256);
  /** The row that brought more distinct labels than a classification may have, if one did. */
  private overflow: { row: number; column: string } | null = null;

  constructor(private readonly limits: ParseLimits) {}

  /** Fixes the feature shape, for formats that know it before the first row (a CSV header). */
  setShape(shape: number[]): void {
    this.shape = shape;
  }

  /** Appends one checked feature value of the current row. */
  push(value: number): void {
    if (this.used === this.features.length) {
      const grown = new Float32Array(this.features.length * 2);
      grown.set(this.features);
      this.features = grown;
    }
    this.features[this.used++] = value;
  }

  /** Ends the current row with its checked label; `column` is where the label came from, for errors. */
  endRow(label: string, row: number, column: string): void {
    this.addTarget(label);
    let id = this.labelIds.get(label);
    if (id === undefined && !this.overflow) {
      id = this.labelIds.size;
      // More labels than classes may be numbers to regress on; anything else is refused here.
      if (id >= this.limits.maxClasses) this.overflow = { row, column };
      else this.labelIds.set(label, id);
    }
    if (this.overflow && !this.targets) {
      const { row: at, column: where } = this.overflow;
      throw rowError(at, where, `more than ${this.limits.maxClasses} distinct labels (MAX_CLASSES)`);
    }
    if (this.rows === this.rowLabels.length) {
      const grown = new Uint32Array(this.rowLabels.length * 2);
      grown.set(this.rowLabels);
      this.rowLabels = grown;
    }
    this.rowLabels[this.rows++] = id ?? 0;
  }

  /** Keeps the label as a number while every label is one. */
  private addTarget(label: string): void {
    if (!this.targets) return;
    const value = numericValue(label);
    if (value === undefined || Number.isNaN(value) || !isFiniteFloat32(value)) {
      this.targets = null;
      return;
    }
    if (this.rows === this.targets.length) {
      const grown = new Float32Array(this.targets.length * 2);
      grown.set(this.targets);
      this.targets = grown;
    }
    this.targets[this.rows] = value;
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

  /** The dataset so far, checked to have at least 2 rows and 2 classes, its labels sorted. */
  finish(): ParsedDataset {
    const rows = this.rows;
    if (rows < 2)
      throw badRequest('invalid_dataset', `a dataset needs at least 2 rows, this one has ${rows}`);
    const targets = this.targets?.slice(0, rows);
    if (this.overflow) {
      // Numbers only, too many to be classes: a dataset for regression alone, with no label set.
      return {
        rows,
        featureShape: this.shape!,
        features: this.features.slice(0, this.used),
        labels: [],
        labelIndex: new Uint32Array(rows),
        labelCounts: {},
        targets,
      };
    }
    if (this.labelIds.size < 2) {
      throw badRequest(
        'invalid_dataset',
        `a dataset needs at least 2 classes, this one has only '${[...this.labelIds.keys()][0]}'`,
        {
          column: 'label',
        },
      );
    }
    return {
      rows,
      featureShape: this.shape!,
      features: this.features.slice(0, this.used),
      ...indexLabels(this.labelIds, this.rowLabels.subarray(0, rows)),
      ...(targets && { targets }),
    };
  }
}

/**
 * The labels sorted, each row's index in them and the rows per label, from label ids handed out in order of
 * appearance (`ids`) and each row's id.
 */
export function indexLabels(
  ids: ReadonlyMap<string, number>,
  rowIds: Uint32Array,
): Pick<ParsedDataset, 'labels' | 'labelIndex' | 'labelCounts'> {
  const labels = [...ids.keys()].sort(compareLabels);
  const sortedIndex = new Uint32Array(labels.length);
  for (const [label, id] of ids) sortedIndex[id] = labels.indexOf(label);
  const labelIndex = new Uint32Array(rowIds.length);
  const labelCounts: Record<string, number> = Object.fromEntries(labels.map((label) => [label, 0]));
  for (let i = 0; i < rowIds.length; i++) {
    const index = sortedIndex[rowIds[i]!]!;
    labelIndex[i] = index;
    labelCounts[labels[index]!]! += 1;
  }
  return { labels, labelIndex, labelCounts };
}
