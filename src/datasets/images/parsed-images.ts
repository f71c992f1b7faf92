import type { ParsedDataset } from '../rows.js';

/** An archive entry that is not part of the dataset, and why. */
export interface SkippedEntry {
  entry: string;
  reason: string;
}

/** Skipped entries: all counted, the first few listed. */
export interface SkippedEntries {
  count: number;
  entries: SkippedEntry[];
}

/** Skipped entries a record lists; beyond, they are only counted. */
export const MAX_LISTED_SKIPPED = 100;

/**
 * An image dataset as parsed: every image at one shape, in archive order, its pixels one uint8 each in a single
 * [N, H, W, C] array (row-major, channels interleaved), with one label per image.
 */
export interface ParsedImages extends Pick<ParsedDataset, 'rows' | 'labels' | 'labelIndex' | 'labelCounts'> {
  kind: 'image';
  /** [H, W, C]. */
  featureShape: [number, number, number];
  pixels: Uint8Array;
  skipped: SkippedEntries;
  /** Of the archive's bytes as sent. */
  sha256: string;
  sizeBytes: number;
}
