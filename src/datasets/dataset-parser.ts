import { csv } from './formats/csv.js';
import type { ParsedDataset, ParseLimits } from './rows.js';

// Parsing lives in formats/ (one module per format) and rows.ts; these are the names other modules import.
export { compareLabels, isFiniteFloat32, showValue, type ParsedDataset, type ParseLimits } from './rows.js';

/** Parses a CSV held in memory, as the upload route would with `?labelColumn=`. */
export function parseCsv(body: Buffer, limits: ParseLimits, labelColumn?: string): Promise<ParsedDataset> {
  return csv.parse({ body }, { labelColumn }, limits);
}
