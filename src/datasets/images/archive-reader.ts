import type { Readable } from 'node:stream';
import type { ImageLimits } from './image-limits.js';

/** One entry of an archive, as its reader found it. */
export interface ArchiveEntry {
  /** Its name as the archive has it, `/`-separated. */
  name: string;
  kind: 'file' | 'folder' | 'other';
  /** Its bytes, whole; over `maxFileBytes`, or past the archive's decompressed bytes, a 413 naming it. */
  read(): Promise<Buffer>;
}

/**
 * Reads one kind of archive as a stream of entries, holding the archive's limits: its entry count and its
 * decompressed bytes. An entry that is not read is passed over; entries come one at a time, so memory holds only
 * what the caller keeps.
 */
export type ArchiveReader = (source: Readable, limits: ImageLimits) => AsyncGenerator<ArchiveEntry>;

/**
 * A stream's bytes, whole, up to `maxBytes`; `tooMany` is the error once it goes over. Reads stop there: the
 * rest is never decompressed.
 */
export async function readBounded(
  stream: AsyncIterable<unknown> & { destroy(): unknown },
  maxBytes: number,
  tooMany: () => Error,
): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let length = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      length += chunk.byteLength;
      if (length > maxBytes) throw tooMany();
      chunks.push(chunk);
    }
  } finally {
    stream.destroy();
  }
  return Buffer.concat(chunks, length);
}
