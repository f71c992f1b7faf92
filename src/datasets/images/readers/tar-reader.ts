import { once } from 'node:events';
import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import { createGunzip } from 'node:zlib';
import tar, { type ExtractEvents, type Header } from 'tar-stream';
import { ProblemError } from '../../../errors.js';
import { readBounded, type ArchiveEntry, type ArchiveReader } from '../archive-reader.js';
import { archiveError, entryError, overLimit, type ImageLimits } from '../image-limits.js';

/** The stream's first two bytes, put back (fewer at its end): enough to tell gzip from a plain tar. */
async function peek(source: Readable): Promise<Buffer | null> {
  while (!source.readableEnded) {
    const head = source.read(2) as Buffer | null;
    if (head !== null) {
      source.unshift(head);
      return head;
    }
    const waiting = new AbortController();
    const { signal } = waiting;
    try {
      await Promise.race([once(source, 'readable', { signal }), once(source, 'end', { signal })]);
    } finally {
      waiting.abort();
    }
  }
  return null;
}

/** Counts the tar's bytes as they come out of gunzip, failing past the decompressed limit: a gzip bomb stops here. */
class DecompressedMeter extends Transform {
  private bytes = 0;

  constructor(
    private readonly limits: ImageLimits,
    private readonly entryAt: () => string | undefined,
  ) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.byteLength;
    if (this.bytes <= this.limits.maxDecompressedBytes) return callback(null, chunk);
    const max = this.limits.maxDecompressedBytes;
    callback(
      overLimit(
        'maxDecompressedBytes',
        this.limits,
        `the archive is over ${max} bytes decompressed`,
        this.entryAt(),
      ),
    );
  }
}

const TAR_BLOCK = 512;

/** An entry as tar-stream hands it over: its header and a stream of its bytes. */
type TarEntry = ExtractEvents['entry'][1];

const kindOf = (type: Header['type']): ArchiveEntry['kind'] =>
  type === 'file' || type === 'contiguous-file' ? 'file' : type === 'directory' ? 'folder' : 'other';

/** A failure of gunzip or of the tar parser as a problem; problems raised on the way (limits) stay as they are. */
function tarProblem(error: unknown, gzipped: boolean): Error {
  if (error instanceof ProblemError) return error;
  const text = error instanceof Error ? error.message : String(error);
  const zlib = typeof (error as { errno?: unknown }).errno === 'number';
  if (zlib) return archiveError(`the gzip stream is damaged or cut off (${text})`);
  return archiveError(`the body is not a${gzipped ? ' gzip-compressed' : ''} tar archive (${text})`);
}

/** One tar entry, read on demand; `current` is set while it is the entry being parsed. */
function tarEntry(entry: TarEntry, limits: ImageLimits, onRead: () => void): ArchiveEntry {
  const { name, size = 0, type } = entry.header;
  return {
    name,
    kind: kindOf(type),
    read: () => {
      onRead();
      // Where its data would end in the tar: past the decompressed limit, the meter would stop it anyway.
      const end = entry.offset + TAR_BLOCK + size;
      if (end > limits.maxDecompressedBytes) {
        const max = limits.maxDecompressedBytes;
        return Promise.reject(
          overLimit('maxDecompressedBytes', limits, `ends ${end} bytes into the tar, past ${max}`, name),
        );
      }
      if (size > limits.maxFileBytes) {
        return Promise.reject(
          overLimit('maxFileBytes', limits, `is ${size} bytes, more than one image may have`, name),
        );
      }
      return readBounded(entry, size, () => entryError(name, 'holds more bytes than its header declares'));
    },
  };
}

/**
 * Tar, plain or gzip-compressed (told apart by its first bytes, whatever the content type): read as it streams
 * in, one entry at a time, never spooled.
 */
export const readTar: ArchiveReader = async function* (source, limits) {
  const head = await peek(source);
  if (head === null || head.byteLength === 0) throw archiveError('the body is empty');
  const gzipped = head[0] === 0x1f && head[1] === 0x8b;
  let current: string | undefined;
  const extract = tar.extract();
  const stages = [source, ...(gzipped ? [createGunzip()] : []), new DecompressedMeter(limits, () => current)];
  let failure: Error | undefined;
  pipeline([...stages, extract as unknown as NodeJS.WritableStream], (error) => {
    if (error) failure = tarProblem(error, gzipped);
  });
  const entries = extract[Symbol.asyncIterator]();
  let count = 0;
  try {
    for (;;) {
      let next: IteratorResult<TarEntry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw failure ?? tarProblem(error, gzipped);
      }
      if (next.done) break;
      if (++count > limits.maxEntries) {
        throw overLimit(
          'maxEntries',
          limits,
          `the archive has more than ${limits.maxEntries} entries`,
          next.value.header.name,
        );
      }
      let read = false;
      current = next.value.header.name;
      yield tarEntry(next.value, limits, () => (read = true));
      // An entry not read is passed over; the parser moves on once its bytes are drained.
      if (!read) next.value.resume();
    }
    if (failure) throw failure;
  } finally {
    for (const stage of stages) stage.destroy();
    extract.destroy();
  }
};
