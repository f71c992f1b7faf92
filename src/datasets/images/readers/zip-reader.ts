import { createWriteStream } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { pipeline } from 'node:stream/promises';
import yauzl, { type Entry, type ZipFile } from 'yauzl';
import { ProblemError } from '../../../errors.js';
import { readBounded, type ArchiveReader } from '../archive-reader.js';
import { BlockReader } from './block-reader.js';
import { archiveError, entryError, overLimit, type ImageLimits } from '../image-limits.js';

const S_IFMT = 0o170000;
const S_IFREG = 0o100000;
const S_IFDIR = 0o040000;

/** What the entry is: the Unix mode in its attributes where an archiver wrote one, else its name says. */
function kindOf(entry: Entry, name: string): 'file' | 'folder' | 'other' {
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (name.endsWith('/') || mode === S_IFDIR) return 'folder';
  return mode === 0 || mode === S_IFREG ? 'file' : 'other';
}

const message = (error: unknown) => (error instanceof Error ? error.message : String(error));

/** The entry's bytes, refused on its declared size before anything is decompressed, then checked as read. */
async function readEntry(zip: ZipFile, entry: Entry, name: string, limits: ImageLimits, used: number) {
  const declared = entry.uncompressedSize;
  if (used + declared > limits.maxDecompressedBytes) {
    throw overLimit(
      'maxDecompressedBytes',
      limits,
      `declares ${declared} bytes decompressed, which takes the archive past ${limits.maxDecompressedBytes}`,
      name,
    );
  }
  if (declared > limits.maxFileBytes) {
    throw overLimit('maxFileBytes', limits, `declares ${declared} bytes, more than one image may have`, name);
  }
  let stream;
  try {
    stream = await zip.openReadStreamPromise(entry);
  } catch (error) {
    throw entryError(name, `cannot be read: ${message(error)}`);
  }
  try {
    // yauzl checks the bytes inflated against the declared size and fails the stream at the first one over.
    return await readBounded(stream, declared, () => entryError(name, 'holds more bytes than it declares'));
  } catch (error) {
    if (error instanceof ProblemError) throw error;
    const text = message(error);
    if (/bytes in the stream/.test(text)) {
      throw entryError(name, `its data does not match its declared size of ${declared} bytes`);
    }
    throw entryError(name, `its compressed data is damaged (${text})`);
  }
}

async function openZip(file: string): Promise<ZipFile> {
  const handle = await fs.open(file, 'r');
  const { size } = await handle.stat();
  try {
    // Names are decoded and checked here (entry-paths), so that a bad one is a problem naming the entry.
    return await yauzl.fromRandomAccessReaderPromise(new BlockReader(handle, size), size, {
      lazyEntries: true,
      autoClose: false,
      decodeStrings: false,
      validateEntrySizes: true,
    });
  } catch (error) {
    await handle.close();
    throw archiveError(`the body is not a zip archive (${message(error)})`);
  }
}

/** The entries of a zip file on disk, checked against the entry count before the first is read. */
async function* zipEntries(file: string, limits: ImageLimits) {
  const zip = await openZip(file);
  try {
    if (zip.entryCount > limits.maxEntries) {
      throw overLimit('maxEntries', limits, `the archive has ${zip.entryCount} entries`);
    }
    const entries = zip.eachEntry();
    let used = 0;
    for (;;) {
      let next: IteratorResult<Entry>;
      try {
        next = await entries.next();
      } catch (error) {
        throw archiveError(`the zip archive is damaged (${message(error)})`);
      }
      if (next.done) return;
      const entry = next.value;
      const name = yauzl.getFileNameLowLevel(
        entry.generalPurposeBitFlag,
        entry.fileNameRaw,
        entry.extraFields,
        false,
      );
      yield {
        name,
        kind: kindOf(entry, name),
        read: async () => {
          const bytes = await readEntry(zip, entry, name, limits, used);
          used += bytes.byteLength;
          return bytes;
        },
      };
    }
  } finally {
    zip.close();
  }
}

/**
 * Zip: its entries are found from the central directory at its end, so the upload is spooled to a temporary
 * file first (bounded by the upload meter), then read entry by entry and deleted.
 */
export const readZip: ArchiveReader = async function* (source, limits) {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-zip-'));
  try {
    const file = path.join(dir, 'upload.zip');
    await pipeline(source, createWriteStream(file, { mode: 0o600 }));
    if ((await fs.stat(file)).size === 0) throw archiveError('the body is empty');
    yield* zipEntries(file, limits);
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
};
