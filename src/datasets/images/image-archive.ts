import { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import type { DatasetInput } from '../dataset-format.js';
import type { ParseLimits } from '../rows.js';
import type { ArchiveReader } from './archive-reader.js';
import { DECODE_SLOTS } from './decode-slots.js';
import { entryRole } from './entry-paths.js';
import { decodeImage, type DecodedImage } from './image-decoder.js';
import { decodeTarget, type ImageOptions } from './image-options.js';
import { MAX_LISTED_SKIPPED, type ParsedImages, type SkippedEntries } from './parsed-images.js';
import { PixelPacker } from './pixel-packer.js';
import { UploadMeter } from './upload-meter.js';

/** Images read ahead of the one being packed: enough to keep the decode slots busy while the archive is read. */
const READ_AHEAD = DECODE_SLOTS + 2;

interface Pending {
  entry: string;
  label: string;
  decoded: Promise<DecodedImage>;
}

/**
 * Parses an image archive as it streams in: each entry read, checked and decoded in turn, a few decodes at once,
 * and packed in archive order; skipped entries counted. Memory holds the packed pixels and the few files in
 * flight, whatever the archive's size.
 */
export async function parseImageArchive(
  reader: ArchiveReader,
  input: DatasetInput,
  options: ImageOptions,
  limits: ParseLimits,
): Promise<ParsedImages> {
  const images = limits.images;
  if (!images) throw new Error('image archives are parsed with image limits');
  const target = decodeTarget(options, images);
  const source = 'stream' in input ? input.stream : Readable.from([input.body]);
  const meter = new UploadMeter(images);
  source.once('error', (error) => meter.destroy(error));
  // The meter may fail (past the archive limit) before a reader listens; the reader then finds it errored.
  meter.on('error', () => undefined);
  source.pipe(meter);
  const packer = new PixelPacker(images, limits.maxClasses);
  const skipped: SkippedEntries = { count: 0, entries: [] };
  const pending: Pending[] = [];
  const packNext = async () => {
    const { entry, label, decoded } = pending.shift()!;
    packer.add(entry, await decoded, label);
  };
  try {
    for await (const entry of reader(meter, images)) {
      const role = entryRole(entry.name, entry.kind);
      if (role.role === 'folder') continue;
      if (role.role === 'skipped') {
        skipped.count += 1;
        if (skipped.entries.length < MAX_LISTED_SKIPPED)
          skipped.entries.push({ entry: entry.name, reason: role.reason });
        continue;
      }
      const decoded = decodeImage(entry.name, await entry.read(), target, images);
      // Awaited in order below; a later image's failure is not left unhandled while an earlier one is awaited.
      decoded.catch(() => undefined);
      pending.push({ entry: entry.name, label: role.label, decoded });
      if (pending.length >= READ_AHEAD) await packNext();
    }
    while (pending.length > 0) await packNext();
    await finished(meter);
  } finally {
    // The request is left to the server to drain or close once the response is sent, not destroyed here.
    source.unpipe(meter);
    meter.destroy();
    await Promise.allSettled(pending.map(({ decoded }) => decoded));
  }
  return { kind: 'image', ...packer.finish(), skipped, sha256: meter.sha256(), sizeBytes: meter.bytes };
}
