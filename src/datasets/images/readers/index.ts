import type { ArchiveReader } from '../archive-reader.js';
import { readTar } from './tar-reader.js';
import { readZip } from './zip-reader.js';

/** The archive kinds an image dataset may come in, each with its reader, registered in one line. */
export const ARCHIVE_READERS = {
  zip: readZip,
  tar: readTar,
} as const satisfies Record<string, ArchiveReader>;

export type ArchiveKind = keyof typeof ARCHIVE_READERS;
