import { Type, type Static } from 'typebox';

/** Most categories a categorical column one-hot encodes; rarer ones share one `other` slot. */
export const MAX_CATEGORIES = 64;

/** One input column of a tabular dataset, and how its values become features. */
export const ColumnSchema = Type.Object(
  {
    name: Type.String(),
    kind: Type.Enum(['numeric', 'categorical'], {
      description:
        'numeric: the value as it is (blank: missing); categorical: one feature per category, 1 for its own (text, or numbers given as categories)',
    }),
    missing: Type.Integer({ description: 'Rows with a blank cell in this column' }),
    indicator: Type.Optional(
      Type.Boolean({
        description:
          'Numeric columns with blanks: a second feature, 1 where the value is missing (the value itself is imputed with the training mean)',
      }),
    ),
    categories: Type.Optional(
      Type.Array(Type.String(), {
        description: `Categorical columns: one feature each, most frequent first (at most ${MAX_CATEGORIES})`,
      }),
    ),
    other: Type.Optional(
      Type.Boolean({
        description:
          'Categorical columns with more categories than are encoded: one more feature, for the rarer ones and for categories never seen in training',
      }),
    ),
  },
  { title: 'Column' },
);
export type Column = Static<typeof ColumnSchema>;

/** How many features a column becomes. */
export function columnWidth(column: Column): number {
  if (column.kind === 'numeric') return column.indicator ? 2 : 1;
  return column.categories!.length + (column.other ? 1 : 0);
}

/** The features' names, in order: a column's name, `name=category`, `name=(other)` and `name (missing)`. */
export function featureNames(columns: Column[]): string[] {
  return columns.flatMap((column) => {
    if (column.kind === 'numeric')
      return column.indicator ? [column.name, `${column.name} (missing)`] : [column.name];
    const names = column.categories!.map((category) => `${column.name}=${category}`);
    return column.other ? [...names, `${column.name}=(other)`] : names;
  });
}

/** Whether the columns are plain numbers, one feature each: rows encode as they are. */
export const isPlainNumeric = (columns: Column[]): boolean =>
  columns.every((column) => column.kind === 'numeric' && !column.indicator);

/** A cell the encoder takes: a number, a string (text, or a number in text), or a blank (null, undefined, ''). */
export type Cell = number | string | null | undefined;

const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/** Cells that mean "no value", as R, pandas, spreadsheets and databases write it, besides a blank. */
export const MISSING_TOKENS: ReadonlySet<string> = new Set([
  'NA',
  'N/A',
  'n/a',
  '#N/A',
  '<NA>',
  'NaN',
  'nan',
  'null',
  'NULL',
  'None',
  '?',
]);

/** A cell's value as a number, NaN for a blank or a missing token; undefined when it is not a number at all. */
export function numericValue(cell: Cell): number | undefined {
  if (cell === null || cell === undefined) return Number.NaN;
  if (typeof cell === 'number') return Number.isFinite(cell) ? cell : undefined;
  const text = cell.trim();
  if (text === '' || MISSING_TOKENS.has(text)) return Number.NaN;
  return DECIMAL.test(text) ? Number(text) : undefined;
}

/** A cell as a category's name; null for a blank or a missing token. */
export function categoryOf(cell: Cell): string | null {
  if (cell === null || cell === undefined) return null;
  const text = typeof cell === 'number' ? String(cell) : cell.trim();
  return text === '' || MISSING_TOKENS.has(text) ? null : text;
}

/**
 * Writes one row's cells as features at `into[offset..]`: a numeric value as it is (NaN for a blank, which
 * standardization imputes) and its missing indicator, a category as a one at its slot (zeros for a blank).
 * Returns the index of the first cell that does not fit its column, or -1.
 */
export function encodeCells(
  cells: ArrayLike<Cell>,
  columns: Column[],
  into: Float32Array,
  offset: number,
): number {
  let at = offset;
  for (let c = 0; c < columns.length; c++) {
    const column = columns[c]!;
    const cell = cells[c];
    if (column.kind === 'numeric') {
      const value = numericValue(cell);
      if (value === undefined || Math.abs(value) > 3.4028234663852886e38) return c;
      into[at++] = value;
      if (column.indicator) into[at++] = Number.isNaN(value) ? 1 : 0;
      continue;
    }
    const categories = column.categories!;
    const width = categories.length + (column.other ? 1 : 0);
    into.fill(0, at, at + width);
    const category = categoryOf(cell);
    if (category !== null) {
      const slot = categories.indexOf(category);
      if (slot >= 0) into[at + slot] = 1;
      else if (column.other) into[at + categories.length] = 1;
    }
    at += width;
  }
  return -1;
}
