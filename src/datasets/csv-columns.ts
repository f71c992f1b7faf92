import { badRequest } from '../errors.js';
import {
  MAX_CATEGORIES,
  categoryOf,
  columnWidth,
  encodeCells,
  numericValue,
  type Column,
} from './columns.js';
import { isFiniteFloat32, rowError } from './rows.js';

/** Distinct values a column may have before it is refused as categorical (an id column, say). */
export const MAX_DISTINCT = 10_000;

export type ColumnKind = Column['kind'];

/** What one column has seen so far: its values as numbers and as categories, and where each kind first showed. */
class ColumnCells {
  numbers = new Float32Array(256);
  /** Per row: 0 for a blank, else 1 + the id of its category. */
  ids = new Uint32Array(256);
  readonly categoryIds = new Map<string, number>();
  counts: number[] = [];
  missing = 0;
  numeric = 0;
  firstNumber: { row: number; cell: string } | null = null;
  firstText: { row: number; cell: string } | null = null;
  tooMany: number | null = null;

  /** Rows added so far. */
  seen = 0;

  constructor(readonly name: string) {}

  add(cell: string, at: number, row: number): void {
    this.seen = at + 1;
    if (at === this.numbers.length) {
      const numbers = new Float32Array(at * 2);
      numbers.set(this.numbers);
      this.numbers = numbers;
      const ids = new Uint32Array(at * 2);
      ids.set(this.ids);
      this.ids = ids;
    }
    const category = categoryOf(cell);
    if (category === null) {
      this.missing += 1;
      this.numbers[at] = Number.NaN;
      this.ids[at] = 0;
      return;
    }
    const value = numericValue(cell);
    if (value !== undefined && !isFiniteFloat32(value))
      throw rowError(row, this.name, `${cell.slice(0, 40)} is not a finite 32-bit number`);
    if (value === undefined) this.firstText ??= { row, cell };
    else {
      this.numeric += 1;
      this.firstNumber ??= { row, cell };
    }
    this.numbers[at] = value ?? Number.NaN;
    let id = this.categoryIds.get(category);
    if (id === undefined) {
      if (this.categoryIds.size >= MAX_DISTINCT) {
        this.tooMany ??= row;
        this.ids[at] = 0;
        return;
      }
      id = this.categoryIds.size;
      this.categoryIds.set(category, id);
      this.counts.push(0);
    }
    this.counts[id]! += 1;
    this.ids[at] = id + 1;
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
    const names = [...this.categoryIds.keys()];
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
  private rows = 0;

  constructor(
    names: string[],
    private readonly kinds: Map<string, ColumnKind>,
  ) {
    this.cells = names.map((name) => new ColumnCells(name));
  }

  /** Adds one row's feature cells, in header order without the label. */
  add(cells: string[], row: number): void {
    for (let c = 0; c < this.cells.length; c++) this.cells[c]!.add(cells[c]!, this.rows, row);
    this.rows += 1;
  }

  /** The columns and the encoded features, [rows, width] row-major. */
  finish(): { columns: Column[]; features: Float32Array; width: number } {
    const described = this.cells.map((cells) => cells.describe(this.kinds.get(cells.name)));
    const widths = described.map(({ column }) => columnWidth(column));
    const width = widths.reduce((n, w) => n + w, 0);
    const features = new Float32Array(this.rows * width);
    let at = 0;
    described.forEach(({ column, slots }, c) => {
      const cells = this.cells[c]!;
      for (let r = 0; r < this.rows; r++) {
        const offset = r * width + at;
        if (!slots) {
          const value = cells.numbers[r]!;
          features[offset] = value;
          if (column.indicator) features[offset + 1] = Number.isNaN(value) ? 1 : 0;
          continue;
        }
        const id = cells.ids[r]!;
        if (id === 0) continue;
        const slot = slots[id - 1]!;
        features[offset + (slot >= 0 ? slot : column.categories!.length)] = 1;
      }
      at += widths[c]!;
    });
    return { columns: described.map(({ column }) => column), features, width };
  }
}

/**
 * A CSV's feature columns encoded as another dataset's are (`columnsFrom`): its validation or test rows, which must
 * become the same features. Every one of those columns must be in the header, and no other.
 */
export class FixedColumns {
  private features = new Float32Array(4096);
  private rows = 0;
  private readonly width: number;
  private readonly order: number[];

  constructor(
    names: string[],
    private readonly columns: Column[],
  ) {
    const unknown = names.find((name) => !columns.some((column) => column.name === name));
    if (unknown !== undefined)
      throw badRequest(
        'invalid_dataset',
        `the header has a column '${unknown}' that columnsFrom's dataset lacks`,
        {
          column: unknown,
        },
      );
    this.order = columns.map((column) => {
      const at = names.indexOf(column.name);
      if (at < 0)
        throw badRequest(
          'invalid_dataset',
          `the header has no column '${column.name}', which columnsFrom's dataset has`,
          {
            column: column.name,
          },
        );
      return at;
    });
    this.width = columns.reduce((n, column) => n + columnWidth(column), 0);
  }

  add(cells: string[], row: number): void {
    const needed = (this.rows + 1) * this.width;
    if (needed > this.features.length) {
      const grown = new Float32Array(Math.max(needed, this.features.length * 2));
      grown.set(this.features);
      this.features = grown;
    }
    const ordered = this.order.map((at) => cells[at]!);
    const bad = encodeCells(ordered, this.columns, this.features, this.rows * this.width);
    if (bad >= 0) {
      const column = this.columns[bad]!;
      throw rowError(
        row,
        column.name,
        `'${ordered[bad]!.slice(0, 40)}' is not a number, and the column is numeric`,
      );
    }
    this.rows += 1;
  }

  finish(): { columns: Column[]; features: Float32Array; width: number } {
    return {
      columns: this.columns,
      features: this.features.slice(0, this.rows * this.width),
      width: this.width,
    };
  }
}
