import { badRequest } from '../../errors.js';
import { indexLabels } from '../rows.js';
import type { Channels, DecodedImage } from './image-decoder.js';
import { entryError, overLimit, type ImageLimits } from './image-limits.js';
import type { ParsedImages } from './parsed-images.js';

type Packed = Pick<
  ParsedImages,
  'rows' | 'featureShape' | 'pixels' | 'labels' | 'labelIndex' | 'labelCounts'
>;

/** Grayscale pixels as RGB: each value three times. */
function toRgb(gray: Uint8Array, out: Uint8Array): Uint8Array {
  for (let i = 0, j = 0; i < gray.length; i++, j += 3) out[j] = out[j + 1] = out[j + 2] = gray[i]!;
  return out;
}

/**
 * Packs decoded images into one growing uint8 array [N, H, W, C], in the order they are added. The first image
 * fixes H and W; C starts as the first image's and becomes 3 at the first colour image when no channel count
 * was asked for (the grayscale images packed so far are widened, which loses nothing).
 */
export class PixelPacker {
  private height = 0;
  private width = 0;
  private channels: Channels = 1;
  private firstEntry = '';
  private pixels: Uint8Array = new Uint8Array(0);
  private rows = 0;
  private rowLabels = new Uint32Array(256);
  private readonly labelIds = new Map<string, number>();

  constructor(
    private readonly limits: ImageLimits,
    private readonly maxClasses: number,
  ) {}

  private get imageBytes(): number {
    return this.height * this.width * this.channels;
  }

  /** Adds one image with its label; `entry` names it in errors. */
  add(entry: string, image: DecodedImage, label: string): void {
    this.fitShape(entry, image);
    const id = this.labelId(entry, label);
    this.reserve(entry);
    const data =
      image.channels === this.channels ? image.data : toRgb(image.data, new Uint8Array(this.imageBytes));
    this.pixels.set(data, this.rows * this.imageBytes);
    if (this.rows === this.rowLabels.length) {
      const grown = new Uint32Array(this.rows * 2);
      grown.set(this.rowLabels);
      this.rowLabels = grown;
    }
    this.rowLabels[this.rows++] = id;
  }

  private fitShape(entry: string, image: DecodedImage): void {
    if (this.rows === 0) {
      [this.height, this.width, this.channels, this.firstEntry] = [
        image.height,
        image.width,
        image.channels,
        entry,
      ];
      return;
    }
    if (image.height !== this.height || image.width !== this.width) {
      throw entryError(
        entry,
        `is ${image.width}x${image.height}, but '${this.firstEntry}' is ${this.width}x${this.height}: set ` +
          `size=WxH to store every image at one size`,
      );
    }
    if (image.channels > this.channels) this.widenToRgb(entry);
  }

  private widenToRgb(entry: string): void {
    const used = this.rows * this.imageBytes;
    const max = this.limits.maxStoredBytes;
    if (used * 3 > max) {
      throw overLimit(
        'maxStoredBytes',
        this.limits,
        `in colour the images take more than ${max} bytes`,
        entry,
      );
    }
    this.channels = 3;
    this.pixels = toRgb(this.pixels.subarray(0, used), new Uint8Array(used * 3));
  }

  private labelId(entry: string, label: string): number {
    let id = this.labelIds.get(label);
    if (id === undefined) {
      id = this.labelIds.size;
      if (id >= this.maxClasses) {
        throw entryError(entry, `its folder makes more than ${this.maxClasses} classes (MAX_CLASSES)`);
      }
      this.labelIds.set(label, id);
    }
    return id;
  }

  /** Room for one more image, the array doubling as it grows, never past the stored-bytes limit. */
  private reserve(entry: string): void {
    const needed = (this.rows + 1) * this.imageBytes;
    const max = this.limits.maxStoredBytes;
    if (needed > max)
      throw overLimit('maxStoredBytes', this.limits, `the images take more than ${max} bytes`, entry);
    if (needed <= this.pixels.byteLength) return;
    const capacity = Math.min(Math.max(needed, this.pixels.byteLength * 2, this.imageBytes * 16), max);
    const grown = new Uint8Array(capacity - (capacity % this.imageBytes));
    grown.set(this.pixels.subarray(0, this.rows * this.imageBytes));
    this.pixels = grown;
  }

  /** The images packed, checked to be at least 2 in at least 2 classes; the array trimmed to them. */
  finish(): Packed {
    if (this.rows < 2) {
      throw badRequest('invalid_dataset', `a dataset needs at least 2 images, this archive has ${this.rows}`);
    }
    if (this.labelIds.size < 2) {
      const [label] = this.labelIds.keys();
      throw badRequest(
        'invalid_dataset',
        `a dataset needs at least 2 classes: every image is in the folder '${label}/' (one folder per class, at the archive's root)`,
        { entry: `${label}/` },
      );
    }
    const used = this.rows * this.imageBytes;
    return {
      rows: this.rows,
      featureShape: [this.height, this.width, this.channels],
      // A view, not a copy: the array may be most of the memory an upload takes.
      pixels: this.pixels.subarray(0, used),
      ...indexLabels(this.labelIds, this.rowLabels.subarray(0, this.rows)),
    };
  }
}
