import sharp from 'sharp';
import { withDecodeSlot } from './decode-slots.js';

/** Images per label kept apart at upload for people to look at; the samples route returns at most these. */
export const SAMPLES_PER_LABEL = 16;

/** Which images are samples: by label in label order, each label's first images in the dataset's order. */
export interface SampleIndex {
  /** The dataset row of each sample. */
  rows: number[];
  /** Its label, as an index into the dataset's labels. */
  labelIndex: number[];
}

/** The first `SAMPLES_PER_LABEL` rows of every label. */
export function pickSamples(labelIndex: Uint32Array, classes: number): SampleIndex {
  const byLabel: number[][] = Array.from({ length: classes }, () => []);
  for (let row = 0; row < labelIndex.length; row++) {
    const rows = byLabel[labelIndex[row]!]!;
    if (rows.length < SAMPLES_PER_LABEL) rows.push(row);
  }
  return {
    rows: byLabel.flat(),
    labelIndex: byLabel.flatMap((rows, label) => rows.map(() => label)),
  };
}

/** The pixels of the given rows of an [N, H, W, C] array, as an [M, H, W, C] array. */
export function gatherRows(pixels: Uint8Array, imageBytes: number, rows: readonly number[]): Uint8Array {
  const out = new Uint8Array(rows.length * imageBytes);
  rows.forEach((row, i) =>
    out.set(pixels.subarray(row * imageBytes, (row + 1) * imageBytes), i * imageBytes),
  );
  return out;
}

/** One stored image as a PNG, encoded in a decode slot. */
export function encodePng(pixels: Uint8Array, [height, width, channels]: readonly number[]): Promise<Buffer> {
  return withDecodeSlot(() =>
    sharp(pixels, { raw: { width: width!, height: height!, channels: channels as 1 | 3 } })
      .toColourspace(channels === 1 ? 'b-w' : 'srgb')
      .png()
      .toBuffer(),
  );
}
