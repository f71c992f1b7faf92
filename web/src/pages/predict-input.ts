import type { ModelRecord } from '../api-types.js';

/** A CSV-trained model's input columns, in order. */
type Columns = NonNullable<ModelRecord['columns']>;

/** One pasted cell as the column takes it: text for a categorical column, else a number; blank is missing. */
function cellOf(text: string, column: Columns[number] | undefined): number | string | null | undefined {
  const value = text.trim();
  if (column?.kind === 'categorical') return value === '' ? null : value;
  if (value === '' && column) return null;
  return value !== '' && Number.isFinite(Number(value)) ? Number(value) : undefined;
}

/**
 * Rows pasted into the playground, as the predict route takes them, or what is wrong with them: JSON, or one row
 * a line. A model trained on a CSV takes its columns in order, separated by commas (text for its categorical
 * ones, blanks for missing values); others take numbers separated by commas or spaces.
 */
export function parseRows(text: string, columns?: Columns): { rows: unknown[] } | { error: string } {
  const trimmed = text.trim();
  if (!trimmed) return { error: 'paste at least one row' };
  if (trimmed.startsWith('[') || trimmed.startsWith('{')) {
    try {
      const parsed = JSON.parse(trimmed) as unknown;
      if (!Array.isArray(parsed)) return { rows: [parsed] };
      // One flat row, or a list of rows (flat or in the model's input shape, or objects by column name).
      return { rows: parsed.every((value) => typeof value !== 'object') ? [parsed] : parsed };
    } catch (error) {
      return { error: `not JSON: ${(error as Error).message}` };
    }
  }
  const rows: unknown[][] = [];
  for (const [i, line] of trimmed.split(/\r?\n/).entries()) {
    if (!line.trim()) continue;
    const cells = columns ? line.split(',') : line.trim().split(/[\s,;]+/);
    const row = cells.map((cell, c) => cellOf(cell, columns?.[c]));
    const bad = row.indexOf(undefined);
    if (bad >= 0) {
      const where = columns?.[bad] ? ` (column ${columns[bad].name})` : '';
      return { error: `line ${i + 1}: '${cells[bad]!.trim()}' is not a number${where}` };
    }
    rows.push(row);
  }
  return { rows };
}

/** Whether a model takes images: an input of [height, width, 1 or 3]. */
export const takesImages = (inputShape: number[]) =>
  inputShape.length === 3 && (inputShape[2] === 1 || inputShape[2] === 3);

/** A file as a data: URL, as the predict route takes images in JSON. */
export const dataUrlOf = (file: Blob) =>
  new Promise<string>((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('the file could not be read'));
    reader.readAsDataURL(file);
  });
