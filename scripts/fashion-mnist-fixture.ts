/**
 * `npx tsx scripts/fashion-mnist-fixture.ts [source-dir] [per-class]`: writes datasets/fashion-mnist/, the image
 * fixture the tests and the bench upload: the first `per-class` (default 30) pictures of each class of the
 * Fashion-MNIST test split, as 28×28 grayscale PNGs in one folder per class. The source is the IDX files of
 * Debian's dataset-fashion-mnist package (/usr/share/datasets/fashion-mnist), the files Zalando publishes.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import sharp from 'sharp';

/** Class folder names, by label number (Zalando's names, made into folder names). */
export const FASHION_CLASSES = [
  't-shirt-top',
  'trouser',
  'pullover',
  'dress',
  'coat',
  'sandal',
  'shirt',
  'sneaker',
  'bag',
  'ankle-boot',
] as const;

/** The images (N×28×28, one byte a pixel) and labels of an IDX pair. */
export async function readIdx(dir: string, split: 'train' | 't10k') {
  const images = gunzipSync(await fs.readFile(path.join(dir, `${split}-images-idx3-ubyte.gz`)));
  const labels = gunzipSync(await fs.readFile(path.join(dir, `${split}-labels-idx1-ubyte.gz`)));
  if (images.readUInt32BE(0) !== 0x803 || labels.readUInt32BE(0) !== 0x801) throw new Error('not IDX files');
  const count = images.readUInt32BE(4);
  const [height, width] = [images.readUInt32BE(8), images.readUInt32BE(12)];
  return { count, height, width, pixels: images.subarray(16), labels: labels.subarray(8) };
}

async function main(source = '/usr/share/datasets/fashion-mnist', perClass = 30) {
  const { count, height, width, pixels, labels } = await readIdx(source, 't10k');
  const out = path.resolve(import.meta.dirname, '../datasets/fashion-mnist');
  await fs.rm(out, { recursive: true, force: true });
  const written = FASHION_CLASSES.map(() => 0);
  for (let i = 0; i < count && written.some((n) => n < perClass); i++) {
    const label = labels[i]!;
    if (written[label]! >= perClass) continue;
    written[label]! += 1;
    const dir = path.join(out, FASHION_CLASSES[label]!);
    await fs.mkdir(dir, { recursive: true });
    const image = pixels.subarray(i * height * width, (i + 1) * height * width);
    const png = await sharp(image, { raw: { width, height, channels: 1 } })
      .toColourspace('b-w')
      .png({ compressionLevel: 9 })
      .toBuffer();
    await fs.writeFile(path.join(dir, `${String(i).padStart(5, '0')}.png`), png);
  }
  console.log(`${written.reduce((a, b) => a + b, 0)} images in ${out}`);
}

if (import.meta.filename === path.resolve(process.argv[1] ?? '')) {
  await main(process.argv[2], process.argv[3] ? Number(process.argv[3]) : undefined);
}
