import { badRequest } from '../errors.js';
import { MAX_CATEGORIES, categoryOf, columnWidth, numericValue, type Column } from './columns.js';
import { isFiniteFloat32, rowError } from './rows.js';

/** Distinct values a column may have before it is refused as categorical (an id column, say). */
export const MAX_DISTINCT = 10_000;

export type ColumnKind = Column['kind'];

/**
 * What one column has seen so far: counts, where each kind of value first showed, and its categories. The
 * numbers are kept by the collector, row-major; category ids only for a column that has shown text or is told to
 * be categorical, so that a CSV of many numeric columns costs no more than its numbers.
 */
class ColumnCells {
  /** Per row: 0 for a blank, else 1 + the id of its category; null while the column tracks no categories. */
  ids: Uint32Array | null = null;
  categoryIds: Map<string, number> | null = null;
  counts: number[] = [];
  missing = 0;
  numeric = 0;
  firstNumber: { row: number; cell: string } | null = null;
  firstText: { row: number; cell: string } | null = null;
  tooMany: number | null = null;
  /** Rows added so far. */
  seen = 0;

  constructor(
    readonly name: string,
    categorical: boolean,
  ) {
    if (categorical) this.trackCategories(0);
  }

  private trackCategories(rows: number): void {
    this.ids = new Uint32Array(Math.max(256, rows * 2));
    this.categoryIds = new Map();
  }

  /** Adds the cell of row index `at`; returns its value as a number, NaN for a blank or text. */
  add(cell: string, at: number, row: number): number {
    this.seen = at + 1;
    const category = categoryOf(cell);
    if (category === null) {
      this.missing += 1;
      return Number.NaN;
    }
    const value = numericValue(cell);
    if (value !== undefined && !isFiniteFloat32(value))
      throw rowError(row, this.name, `${cell.slice(0, 40)} is not a finite 32-bit number`);
    if (value === undefined) {
      this.firstText ??= { row, cell };
      // Rows before the first text held blanks or numbers; numbers make the column mixed, refused at the end.
      if (!this.ids) this.trackCategories(at);
    } else {
      this.numeric += 1;
      this.firstNumber ??= { row, cell };
    }
    if (this.ids) this.addCategory(category, at, row);
    return value ?? Number.NaN;
  }

  private addCategory(category: string, at: number, row: number): void {
    if (at >= this.ids!.length) {
      const ids = new Uint32Array(Math.max(at + 1, this.ids!.length * 2));
      ids.set(this.ids!);
      this.ids = ids;
    }
    let id = this.categoryIds!.get(category);
    if (id === undefined) {
      if (this.categoryIds!.size >= MAX_DISTINCT) {
        this.tooMany ??= row;
        return;
      }
      id = this.categoryIds!.size;
      this.categoryIds!.set(category, id);
      this.counts.push(0);
    }
    this.counts[id]! += 1;
    this.ids![at] = id + 1;
  }

  /** The column's kind: as told, else numeric when every value is a number, categorical when none is. */
  kind(told: ColumnKind | undefined): ColumnKind {
    if (this.firstNumber === null && this.firstText === null) {
      throw badRequest('invalid_dataset', `column '${this.name}' is blank in every row`, {
        column: this.name,
      });
    }
    if (told === 'numeric' && this.firstText) {
      const { row, cell } = this.firstText;
      throw rowError(row, this.name, `'${cell.slice(0, 40)}' is not a number, and the column is numeric`);
    }
    if (told) return told;
    if (this.firstText && this.firstNumber) {
      // Mostly one kind with a stray of the other is a typo more often than a category: say where, and how to choose.
      const text = this.seen - this.missing - this.numeric;
      const stray = text <= this.numeric ? this.firstText : this.firstNumber;
      throw rowError(
        stray.row,
        this.name,
        `'${stray.cell.slice(0, 40)}' mixes numbers and text in one column; fix the cell, or name the column's kind with columns=${this.name}:categorical (or :numeric)`,
      );
    }
    return this.firstText ? 'categorical' : 'numeric';
  }

  /** How the column is encoded: its kind, and its categories, most frequent first. */
  describe(told: ColumnKind | undefined): { column: Column; slots: Int32Array | null } {
    const kind = this.kind(told);
    if (kind === 'numeric') {
      return {
        column: { name: this.name, kind, missing: this.missing, indicator: this.missing > 0 },
        slots: null,
      };
    }
    if (this.tooMany !== null) {
      throw rowError(
        this.tooMany,
        this.name,
        `the column has more than ${MAX_DISTINCT} distinct values: too many to be categories (an id column? leave it out)`,
      );
    }
    const names = [...(this.categoryIds?.keys() ?? [])];
    const order = names
      .map((name, id) => ({ name, id, count: this.counts[id]! }))
      .sort((a, b) => b.count - a.count || (a.name < b.name ? -1 : 1));
    const kept = order.slice(0, MAX_CATEGORIES);
    const slots = new Int32Array(names.length).fill(-1);
    kept.forEach((entry, slot) => (slots[entry.id] = slot));
    const column: Column = {
      name: this.name,
      kind,
      missing: this.missing,
      categories: kept.map((entry) => entry.name),
      other: order.length > kept.length,
    };
    return { column, slots };
  }
}

/** Parses `columns=name:kind,...`, the kinds an upload names; each name must be a feature column of the header. */
export function parseColumnKinds(
  option: string | undefined,
  featureColumns: string[],
): Map<string, ColumnKind> {
  const kinds = new Map<string, ColumnKind>();
  if (!option) return kinds;
  for (const part of option.split(',')) {
    const at = part.lastIndexOf(':');
    const name = part.slice(0, at).trim();
    const kind = part.slice(at + 1).trim();
    if (at < 0 || (kind !== 'numeric' && kind !== 'categorical')) {
      throw badRequest('validation_failed', `columns: '${part}' is not name:numeric or name:categorical`, {
        field: 'columns',
      });
    }
    if (!featureColumns.includes(name)) {
      throw badRequest('validation_failed', `columns: the header has no feature column '${name}'`, {
        field: 'columns',
        column: name,
      });
    }
    kinds.set(name, kind);
  }
  return kinds;
}

/**
 * A CSV's feature columns as they stream in, each cell kept as a number and as a category so that a column's
 * kind can be decided once every row is in: then encoded (see columns.ts) into one float32 row per example.
 */
export class ColumnCollector {
  private readonly cells: ColumnCells[];
  /** Every cell as a number (NaN for blanks and text), row-major. */
  private numbers = new Float32Array(4096);
  private rows = 0;

  constructor(
    names: string[],
    private readonly kinds: Map<string, ColumnKind>,
  ) {
    this.cells = names.map((name) => new ColumnCells(name, kinds.get(name) === 'categorical'));
  }

  /** Adds one row's feature cells, in header order without the label. */
  add(cells: string[], row: number): void {
    const width = this.cells.length;
    const needed = (this.rows + 1) * width;
    if (needed > this.numbers.length) {
      const grown = new Float32Array(Math.max(needed, this.numbers.length * 2));
      grown.set(this.numbers);
      this.numbers = grown;
    }
    const offset = this.rows * width;
    for (let c = 0; c < width; c++) this.numbers[offset + c] = this.cells[c]!.add(cells[c]!, this.rows, row);
    this.rows += 1;
  }

  /** The columns and the encoded features, [rows, width] row-major. */
  finish(): { columns: Column[]; features: Float32Array; width: number } {
    const described = this.cells.map((cells) => cells.describe(this.kinds.get(cells.name)));
    const widths = described.map(({ column }) => columnWidth(column));
    const width = widths.reduce((n, w) => n + w, 0);
    const columnsIn = this.cells.length;
    const features = new Float32Array(this.rows * width);
    let at = 0;
    described.forEach(({ column, slots }, c) => {
      const ids = this.cells[c]!.ids;
      for (let r = 0; r < this.rows; r++) {
        const offset = r * width + at;
        if (!slots) {
          const value = this.numbers[r * columnsIn + c]!;
          features[offset] = value;
          if (column.indicator) features[offset + 1] = Number.isNaN(value) ? 1 : 0;
          continue;
        }
        const id = ids?.[r] ?? 0;
        if (id === 0) continue;
        const slot = slots[id - 1]!;
        features[offset + (slot >= 0 ? slot : column.categories!.length)] = 1;
      }
      at += widths[c]!;
    });
    return { columns: described.map(({ column }) => column), features, width };
  }
}
