import { encodeCells, type Cell, type Column } from '../datasets/columns.js';
import { showValue } from '../datasets/rows.js';
import { unprocessable } from '../errors.js';

const invalid = (index: number, why: string, field = `/instances/${index}`) =>
  unprocessable('invalid_instance', `instances[${index}]: ${why}`, { field });

/** One instance's cells in column order: from an object keyed by column, or an array of the columns' values. */
function cellsOf(value: unknown, columns: Column[], index: number): Cell[] {
  const names = columns.map((column) => column.name);
  if (Array.isArray(value)) {
    if (value.length !== columns.length)
      throw invalid(
        index,
        `has ${value.length} values; the model takes ${columns.length} columns (${names.join(', ')})`,
      );
    return value as Cell[];
  }
  if (value === null || typeof value !== 'object')
    throw invalid(
      index,
      `is ${showValue(value)}: give an object keyed by column, or an array of the column values`,
    );
  const record = value as Record<string, unknown>;
  for (const key of Object.keys(record))
    if (!names.includes(key))
      throw invalid(
        index,
        `the model has no column '${key.slice(0, 100)}'; its columns are ${names.join(', ')}`,
        `/instances/${index}/${key.slice(0, 100)}`,
      );
  return names.map((name) => {
    if (!Object.hasOwn(record, name))
      throw invalid(
        index,
        `has no value for column '${name}' (null for a missing value)`,
        `/instances/${index}/${name}`,
      );
    return record[name] as Cell;
  });
}

/**
 * Encodes one instance of a model trained on a CSV, as its columns were in training, at `into[offset..]`: an
 * object keyed by column name or an array of the column values; numbers, text, and null (or '') for a blank.
 * Anything else is a 422 naming the instance and the column.
 */
export function encodeInstance(
  value: unknown,
  columns: Column[],
  index: number,
  into: Float32Array,
  offset: number,
): void {
  const cells = cellsOf(value, columns, index);
  const bad = cells.findIndex(
    (cell) => cell !== null && typeof cell !== 'number' && typeof cell !== 'string',
  );
  const at = bad >= 0 ? bad : encodeCells(cells, columns, into, offset);
  if (at < 0) return;
  const column = columns[at]!;
  const field = Array.isArray(value) ? `/instances/${index}/${at}` : `/instances/${index}/${column.name}`;
  const kind = column.kind === 'numeric' ? 'a number (or null when missing)' : 'text, a number or null';
  throw invalid(index, `${showValue(cells[at])} for column '${column.name}' is not ${kind}`, field);
}
