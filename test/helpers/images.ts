import { crc32, deflateSync } from 'node:zlib';
import sharp from 'sharp';

/** An image's pixels as sharp decodes them, one byte a value, with its shape. */
export async function pixelsOf(file: Buffer, channels: 1 | 3 = 1) {
  const { data, info } = await sharp(file)
    .toColourspace(channels === 1 ? 'b-w' : 'srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/** The largest difference between two pixel arrays of one length. */
export function maxDifference(a: Uint8Array, b: Uint8Array): number {
  if (a.length !== b.length) throw new Error(`lengths differ: ${a.length} and ${b.length}`);
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

function pngChunk(type: string, data: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.byteLength, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])), 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * A PNG of a few hundred bytes whose header declares `width`×`height` grayscale pixels (1 bit each): a
 * decompression bomb, whose pixel data is only the first rows.
 */
export function pngDeclaring(width: number, height: number): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([1, 0, 0, 0, 0], 8); // bit depth 1, grayscale, deflate, adaptive filter, no interlace
  const rowBytes = 1 + Math.ceil(width / 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    pngChunk('IHDR', header),
    pngChunk('IDAT', deflateSync(Buffer.alloc(rowBytes * 4))),
    pngChunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A picture rotated a quarter turn clockwise and saved as a JPEG whose EXIF says to turn it back (6: 90° CW). */
export async function jpegWithOrientation(png: Buffer): Promise<Buffer> {
  // Stored turned 90° anticlockwise; a viewer applying orientation 6 turns it 90° clockwise, upright again.
  return sharp(png).rotate(-90).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
}

/** The picture as a grayscale PNG with alpha: its left half fully transparent (grey 255 under it). */
export async function grayAlphaPng(png: Buffer): Promise<Buffer> {
  const { data, width, height } = await pixelsOf(png);
  const out = Buffer.alloc(width * height * 2);
  for (let i = 0; i < width * height; i++) {
    const transparent = i % width < width / 2;
    out[i * 2] = transparent ? 255 : data[i]!;
    out[i * 2 + 1] = transparent ? 0 : 255;
  }
  return sharp(out, { raw: { width, height, channels: 2 } })
    .toColourspace('b-w')
    .png()
    .toBuffer();
}

/** A two-frame GIF: the picture, then its negative; a dataset stores the first frame. */
export async function twoFrameGif(png: Buffer): Promise<Buffer> {
  const { data, width, height } = await pixelsOf(png);
  const frames = Buffer.concat([data, Buffer.from(data.map((value) => 255 - value))]);
  return sharp(frames, { raw: { width, height: height * 2, channels: 1, pageHeight: height } })
    .gif({ delay: [100, 100] })
    .toBuffer();
}
