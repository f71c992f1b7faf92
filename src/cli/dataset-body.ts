/**
 * The body of a dataset upload from a path on disk: a file sent as it is, its media type by its extension, or a
 * folder of class folders sent as a tar archive made while it uploads (one image in memory at a time).
 */
import { openAsBlob } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import tar from 'tar-stream';
import { badInput } from './errors.js';

export interface DatasetBody {
  body: Blob | AsyncIterable<Uint8Array>;
  contentType: string;
  /** The file's or folder's name, without its extension: the dataset's name unless one is given. */
  name: string;
  /** What was found at the path, for the summary: a file's size, or a folder's file count. */
  description: string;
}

// Longest first, so that `.tar.gz` is not taken for `.gz`.
const MEDIA_TYPES: Array<[string, string]> = [
  ['.tar.gz', 'application/gzip'],
  ['.tgz', 'application/gzip'],
  ['.csv', 'text/csv'],
  ['.ndjson', 'application/x-ndjson'],
  ['.jsonl', 'application/x-ndjson'],
  ['.json', 'application/json'],
  ['.zip', 'application/zip'],
  ['.tar', 'application/x-tar'],
];

export const DATASET_EXTENSIONS = MEDIA_TYPES.map(([extension]) => extension);

/** The upload body for `target`; a path that is missing or of no known format is bad input. */
export async function datasetBody(target: string): Promise<DatasetBody> {
  const stat = await fs.stat(target).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw badInput(`no such file or folder: ${target}`);
    throw error;
  });
  const base = path.basename(path.resolve(target));
  if (stat.isDirectory()) {
    const files = await filesUnder(target);
    if (files.length === 0)
      throw badInput(`${target} holds no files: give it one folder of images per class`);
    return {
      body: tarOf(target, files),
      contentType: 'application/x-tar',
      name: base,
      description: `${files.length} files in ${target}`,
    };
  }
  const lower = base.toLowerCase();
  const match = MEDIA_TYPES.find(([extension]) => lower.endsWith(extension));
  if (!match)
    throw badInput(
      `cannot tell the format of ${target} from its name: give a ${DATASET_EXTENSIONS.join(', ')} file or a folder of class folders`,
    );
  const [extension, contentType] = match;
  return {
    body: await openAsBlob(target),
    contentType,
    name: base.slice(0, base.length - extension.length) || base,
    description: `${stat.size} bytes from ${target}`,
  };
}

/** Every regular file under `root`, as paths relative to it, in a stable order. */
async function filesUnder(root: string): Promise<string[]> {
  const entries = await fs.readdir(root, { recursive: true, withFileTypes: true });
  return entries
    .filter((entry) => entry.isFile())
    .map((entry) => path.relative(root, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** A tar of the files, made as it is read: each entry is added once the one before has been taken. */
async function* tarOf(root: string, files: string[]): AsyncGenerator<Uint8Array> {
  const pack = tar.pack();
  void (async () => {
    for (const file of files) {
      const data = await fs.readFile(path.join(root, file));
      const name = file.split(path.sep).join('/');
      // The callback comes once the entry's bytes are in the pack's buffer, which is bounded.
      await new Promise<void>((resolve, reject) =>
        pack.entry({ name, size: data.byteLength }, data, (error) => (error ? reject(error) : resolve())),
      );
    }
    pack.finalize();
  })().catch((error: unknown) => pack.destroy(error as Error));
  try {
    for await (const chunk of pack as AsyncIterable<Uint8Array>) yield chunk;
  } finally {
    // Stopped early (the upload failed): what is still being added goes nowhere.
    pack.destroy();
  }
}
