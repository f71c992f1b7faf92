import { CsvError, parse as csvParser } from 'csv-parse';
import { Readable } from 'node:stream';
import { Type } from 'typebox';
import { badRequest } from '../../errors.js';
import { nextMacrotask } from '../../event-loop.js';
import { defineFormat, type DatasetInput } from '../dataset-format.js';
import { ColumnCollector, parseColumnKinds } from '../csv-columns.js';
import { FixedColumns } from '../fixed-columns.js';
import {
  checkLabel,
  rowError,
  RowCollector,
  CELLS_PER_TURN,
  type ParsedDataset,
  type ParseLimits,
} from '../rows.js';
const CHUNK_BYTES = 64 * 1024;

function* chunks(body: Buffer): Generator<Buffer> {
  for (let offset = 0; offset < body.byteLength; offset += CHUNK_BYTES) {
    yield body.subarray(offset, offset + CHUNK_BYTES);
  }
}

/** The index of the label column, once the header is known to name it and every column once. */
function labelIndexOf(header: string[], labelColumn: string): number {
  const labelAt = header.indexOf(labelColumn);
  if (labelAt < 0) {
    throw badRequest(
      'invalid_dataset',
      `the header has no '${labelColumn}' column (set labelColumn= to name it)`,
      {
        column: labelColumn,
        header: header.slice(0, 100),
      },
    );
  }
  const seen = new Set<string>();
  for (const name of header) {
    if (seen.has(name)) {
      throw badRequest('invalid_dataset', `the header names the column '${name}' twice`, { column: name });
    }
    seen.add(name);
  }
  if (header.length < 2) {
    throw badRequest('invalid_dataset', 'the header names no feature column besides the label', {
      column: labelColumn,
    });
  }
  return labelAt;
}

/** Adds a data row: its feature cells to the columns, its label to the rows. */
function addRecord(
  parts: { rows: RowCollector; columns: ColumnCollector | FixedColumns },
  record: string[],
  header: string[],
  labelAt: number,
  row: number,
) {
  if (record.length !== header.length) {
    const column = header[Math.min(record.length, header.length - 1)] ?? null;
    throw rowError(row, column, `has ${record.length} columns, the header has ${header.length}`);
  }
  parts.columns.add(
    record.filter((_, c) => c !== labelAt),
    row,
  );
  parts.rows.endRow(checkLabel(record[labelAt], row, header[labelAt]!), row, header[labelAt]!);
}

/** Parses CSV, streaming: a header row, one label column, every other column a number. */
async function parseCsv(
  input: DatasetInput,
  limits: ParseLimits,
  { labelColumn = 'label', columns: kinds }: { labelColumn?: string; columns?: string },
): Promise<ParsedDataset> {
  const source = 'stream' in input ? input.stream : Readable.from(chunks(input.body));
  const parser = source.pipe(
    csvParser({
      bom: true,
      skip_empty_lines: true,
      relax_column_count: true,
      trim: true,
      max_record_size: 1 << 20,
    }),
  );
  const collector = new RowCollector(limits);
  let columns: ColumnCollector | FixedColumns | undefined;
  let header: string[] | undefined;
  let labelAt = -1;
  let row = 0;
  let cells = 0;
  try {
    for await (const record of parser as AsyncIterable<string[]>) {
      if (!header) {
        header = record;
        labelAt = labelIndexOf(header, labelColumn);
        const names = header.filter((_, c) => c !== labelAt);
        columns = limits.columns
          ? new FixedColumns(names, limits.columns)
          : new ColumnCollector(names, parseColumnKinds(kinds, names));
        collector.setShape([names.length]);
        continue;
      }
      row += 1;
      addRecord({ rows: collector, columns: columns! }, record, header, labelAt, row);
      // Other requests get their turn every so many cells, however wide the rows are.
      cells += record.length;
      if (cells >= CELLS_PER_TURN) {
        cells = 0;
        await nextMacrotask();
      }
    }
  } catch (error) {
    parser.destroy();
    if (error instanceof CsvError) {
      const info = error as { lines?: number; message: string };
      throw badRequest('invalid_dataset', `the CSV cannot be read: ${info.message}`, { line: info.lines });
    }
    throw error;
  }
  if (!header || !columns)
    throw badRequest('invalid_dataset', 'the CSV is empty: expected a header row and data rows');
  const parsed = collector.finish();
  const encoded = columns.finish();
  return { ...parsed, features: encoded.features, featureShape: [encoded.width], columns: encoded.columns };
}

export const csv = defineFormat({
  name: 'csv',
  kind: 'tabular',
  mediaTypes: ['text/csv'],
  description:
    "A header row, then one row per example: a label column ('label' unless labelColumn names another) and " +
    'feature columns of numbers or text, blanks allowed (see columns).',
  options: {
    labelColumn: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    columnsFrom: Type.Optional(
      Type.String({
        pattern: '^ds_[0-9a-z]{26}$',
        description:
          "CSV: encode the columns as this dataset's are (a validation or test set of the same columns, becoming the same features)",
      }),
    ),
    columns: Type.Optional(
      Type.String({
        maxLength: 10_000,
        description:
          'CSV: the kind of some columns, name:numeric or name:categorical, comma-separated; the others are detected (numbers: numeric, text: categorical)',
      }),
    ),
  },
  parse: (input, options, limits) => parseCsv(input, limits, options),
});
