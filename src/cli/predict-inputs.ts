/**
 * What `predict` sends, read from a path: the rows of a CSV file (a label column dropped, its values kept to
 * compare with), an image file, or the image files in a folder. For a model trained on a CSV's columns, rows go by
 * column name, with text and blanks; for others, as numbers.
 */
import { parse } from 'csv-parse/sync';
import fs from 'node:fs/promises';
import path from 'node:path';
import { badInput } from './errors.js';

const IMAGE_EXTENSIONS = new Set(['.png', '.jpg', '.jpeg', '.webp', '.gif', '.tif', '.tiff', '.avif']);

export interface Instance {
  /** Where it came from, for people: `row 3`, `cats/a.png`. */
  input: string;
  /** The row's value in the label column, where the CSV has one. */
  expected?: string;
}

/** A CSV row as a model with columns takes it: by column name, blanks as null. */
export type NamedRow = Record<string, number | string | null>;

export type PredictInputs =
  | { kind: 'rows'; instances: Instance[]; rows: Array<number[] | NamedRow> }
  | { kind: 'images'; instances: Instance[]; files: string[] };

const isNumber = (cell: string) => cell.trim() !== '' && Number.isFinite(Number(cell));

/** A cell as a named row holds it: a number, text, or null for a blank. */
const cellValue = (cell: string) => (cell.trim() === '' ? null : isNumber(cell) ? Number(cell) : cell);

/**
 * The CSV's rows, `labelColumn` (or a header's `label` column) dropped from them: by column name when `byColumn`
 * and the CSV has a header, else as numbers.
 */
export function csvRows(text: string, file: string, labelColumn?: string, byColumn = false): PredictInputs {
  const records = parse(text, { skip_empty_lines: true, trim: true, relax_column_count: true });
  const header = records[0] && !records[0].every(isNumber) ? records[0] : undefined;
  const named = labelColumn ?? (header?.includes('label') ? 'label' : undefined);
  const labelAt = named === undefined ? -1 : (header?.indexOf(named) ?? -1);
  if (named !== undefined && labelAt === -1)
    throw badInput(`${file} has no header naming a '${named}' column`);
  const body = header ? records.slice(1) : records;
  if (body.length === 0) throw badInput(`${file} holds no rows`);
  const instances: Instance[] = [];
  const rows = body.map((record, index) => {
    const line = index + (header ? 2 : 1);
    const cells = labelAt === -1 ? record : record.filter((_, column) => column !== labelAt);
    instances.push({ input: `row ${index + 1}`, ...(labelAt === -1 ? {} : { expected: record[labelAt] }) });
    if (byColumn && header) {
      const names = header.filter((_, column) => column !== labelAt);
      return Object.fromEntries(names.map((name, c) => [name, cellValue(cells[c] ?? '')]));
    }
    const bad = cells.findIndex((cell) => !isNumber(cell));
    if (bad !== -1) throw badInput(`${file} line ${line}: '${cells[bad]}' is not a number`);
    return cells.map(Number);
  });
  return { kind: 'rows', instances, rows };
}

/** The image files under a folder, by their paths relative to it, in a stable order. */
async function imagesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase()))
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** The inputs at `target`: a CSV file, an image file or a folder of images. */
export async function predictInputs(
  target: string,
  labelColumn?: string,
  byColumn = false,
): Promise<PredictInputs> {
  const stat = await fs.stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw badInput(`no such file or folder: ${target}`);
    throw error;
  });
  if (stat.isDirectory()) {
    const files = await imagesUnder(target);
    if (files.length === 0) throw badInput(`${target} holds no image files`);
    return {
      kind: 'images',
      instances: files.map((file) => ({ input: file })),
      files: files.map((file) => path.join(target, file)),
    };
  }
  const extension = path.extname(target).toLowerCase();
  if (extension === '.csv') return csvRows(await fs.readFile(target, 'utf8'), target, labelColumn, byColumn);
  if (IMAGE_EXTENSIONS.has(extension))
    return { kind: 'images', instances: [{ input: path.basename(target) }], files: [target] };
  throw badInput(`${target}: give a .csv file of rows, an image file or a folder of images`);
}
