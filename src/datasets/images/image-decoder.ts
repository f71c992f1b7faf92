import sharp, { type Metadata, type SharpOptions } from 'sharp';
import { withDecodeSlot } from './decode-slots.js';
import { entryError, overLimit, type ImageLimits } from './image-limits.js';

// Each image is decoded once: libvips's operation cache would only hold on to memory.
sharp.cache(false);

/** The file formats an image dataset takes; `heif` only as AVIF. */
const FORMATS = new Set<string>(['jpeg', 'png', 'webp', 'gif', 'tiff', 'heif']);
export const FORMAT_LIST = 'JPEG, PNG, WebP, GIF, TIFF or AVIF';
const BLACK = { r: 0, g: 0, b: 0 };

export type Fit = 'cover' | 'contain';
/** The one bound decoding holds an image to: width × height, as its header declares them. */
export type DecodeLimits = Pick<ImageLimits, 'maxPixels'>;
export type Channels = 1 | 3;

/** How an image is stored: its size and channels where they are set, else the image's own. */
export interface DecodeTarget {
  size?: { width: number; height: number };
  channels?: Channels;
  fit: Fit;
}

/** An image's pixels, row-major, channels interleaved, one byte each. */
export interface DecodedImage {
  data: Buffer;
  width: number;
  height: number;
  channels: Channels;
}

const reason = (error: unknown) =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0]!.slice(0, 200);

const inputOptions = (limits: DecodeLimits): SharpOptions => ({
  // The dimensions were checked from the header first; this also holds for what libvips reads itself.
  limitInputPixels: limits.maxPixels,
  // A truncated or corrupt image is refused rather than stored half grey.
  failOn: 'warning',
  // The first frame of an animation, the first page of a multi-page TIFF.
  pages: 1,
});

/** The header, read without decoding: a format and dimensions checked before any pixel is. */
async function inspect(entry: string, file: Buffer, limits: DecodeLimits): Promise<Metadata> {
  let meta: Metadata;
  try {
    // Only the header is read here; without the pixel limit, so that a bomb's dimensions can be told.
    meta = await sharp(file, { ...inputOptions(limits), limitInputPixels: false }).metadata();
  } catch (error) {
    throw entryError(entry, `is not an image in a format datasets take, ${FORMAT_LIST} (${reason(error)})`);
  }
  if (!FORMATS.has(meta.format) || (meta.format === 'heif' && meta.compression !== 'av1')) {
    throw entryError(entry, `is ${meta.format}, not one of the formats datasets take (${FORMAT_LIST})`);
  }
  if (meta.width * meta.height > limits.maxPixels) {
    throw overLimit('maxPixels', limits, `is ${meta.width}×${meta.height} pixels`, entry);
  }
  return meta;
}

/** 1 for grayscale (with or without alpha), 3 for colour. */
export const naturalChannels = (meta: Pick<Metadata, 'channels' | 'hasAlpha'>): Channels =>
  meta.channels - (meta.hasAlpha ? 1 : 0) <= 1 ? 1 : 3;

/**
 * Decodes one image file to 8-bit pixels, as `target` says: turned upright from its EXIF orientation,
 * transparency flattened onto black, converted to grayscale or sRGB, and resized to cover or fit inside the
 * target size (the uncovered part black). Runs in a decode slot; bad files are a 400, oversized ones a 413,
 * naming the entry.
 */
export function decodeImage(
  entry: string,
  file: Buffer,
  target: DecodeTarget,
  limits: DecodeLimits,
): Promise<DecodedImage> {
  return withDecodeSlot(async () => {
    const meta = await inspect(entry, file, limits);
    const channels = target.channels ?? naturalChannels(meta);
    let image = sharp(file, inputOptions(limits)).autoOrient();
    if (meta.hasAlpha) image = image.flatten({ background: BLACK });
    image = image.toColourspace(channels === 1 ? 'b-w' : 'srgb');
    if (target.size) {
      const { width, height } = target.size;
      image = image.resize(width, height, { fit: target.fit, background: BLACK });
    }
    try {
      const { data, info } = await image.raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
      if (info.channels !== channels) throw new Error(`it decoded to ${info.channels} channels`);
      return { data, width: info.width, height: info.height, channels };
    } catch (error) {
      throw entryError(entry, `cannot be decoded (${reason(error)})`);
    }
  });
}
