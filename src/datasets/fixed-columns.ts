import { badRequest } from '../errors.js';
import { columnWidth, encodeCells, type Column } from './columns.js';
import { rowError } from './rows.js';

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
