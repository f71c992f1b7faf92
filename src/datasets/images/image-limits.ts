import { badRequest, ProblemError } from '../../errors.js';

/** How large an image archive, and what it holds, may be; each from the configuration setting named beside it. */
export interface ImageLimits {
  /** The archive's bytes as sent. */
  maxArchiveBytes: number;
  /** Entries in the archive, folders and skipped entries included. */
  maxEntries: number;
  /** Bytes of every entry decompressed, together (a tar.gz: the whole tar). */
  maxDecompressedBytes: number;
  /** Bytes of one image file. */
  maxFileBytes: number;
  /** Width × height of one image as stored in its file, before any resizing. */
  maxPixels: number;
  /** Bytes of the stored pixels, N × H × W × C. */
  maxStoredBytes: number;
}

/** The configuration setting of each limit, as problems name them. */
export const LIMIT_SETTINGS = {
  maxArchiveBytes: 'DATASET_ARCHIVE_MAX_BYTES',
  maxEntries: 'DATASET_IMAGE_MAX_ENTRIES',
  maxDecompressedBytes: 'DATASET_IMAGE_MAX_DECOMPRESSED_BYTES',
  maxFileBytes: 'DATASET_IMAGE_MAX_FILE_BYTES',
  maxPixels: 'DATASET_IMAGE_MAX_PIXELS',
  maxStoredBytes: 'DATASET_IMAGE_MAX_STORED_BYTES',
} as const satisfies Record<keyof ImageLimits, string>;

/** The limits as the configuration sets them. */
export function imageLimitsOf(
  config: Record<(typeof LIMIT_SETTINGS)[keyof ImageLimits], number>,
): ImageLimits {
  const limits = {} as ImageLimits;
  for (const [limit, setting] of Object.entries(LIMIT_SETTINGS)) {
    limits[limit as keyof ImageLimits] = config[setting];
  }
  return limits;
}

/**
 * A 413 for a limit gone over: `archive_too_large` for the archive as a whole, `image_too_large` for one image.
 * It names the setting, its limit and, where one entry took it over, that entry.
 */
export function overLimit<L extends keyof ImageLimits>(
  limit: L,
  limits: Pick<ImageLimits, L>,
  detail: string,
  entry?: string,
): ProblemError {
  const code = limit === 'maxFileBytes' || limit === 'maxPixels' ? 'image_too_large' : 'archive_too_large';
  const shown = entry === undefined ? undefined : shownEntry(entry);
  const where = shown === undefined ? '' : `entry '${shown}': `;
  return new ProblemError(413, code, `${where}${detail} (${LIMIT_SETTINGS[limit]}: ${limits[limit]})`, {
    setting: LIMIT_SETTINGS[limit],
    limit: limits[limit],
    ...(shown === undefined ? {} : { entry: shown }),
  });
}

/** An entry's name as problems show it: a hostile archive's names may be of any length. */
export const shownEntry = (entry: string) => (entry.length > 300 ? `${entry.slice(0, 300)}…` : entry);

/** A 400 naming the archive entry at fault. */
export function entryError(entry: string, message: string): ProblemError {
  const shown = shownEntry(entry);
  return badRequest('invalid_dataset', `entry '${shown}': ${message}`, { entry: shown });
}

/** A 400 about the archive as a whole: it is not one, or it is cut off. */
export const archiveError = (message: string) => badRequest('invalid_dataset', message);
