import { entryError } from './image-limits.js';

/** What an archive entry is to an image dataset. */
export type EntryRole =
  /** A folder, or a file kept for its label. */
  | { role: 'folder' }
  | { role: 'image'; label: string }
  /** Junk and files that belong to no class: skipped, counted, and listed in the record with the reason. */
  | { role: 'skipped'; reason: string };

const MAX_LABEL_LENGTH = 200;
/** Files that file managers and operating systems leave in folders. */
const SYSTEM_FILES: Record<string, string> = {
  'thumbs.db': 'a Windows thumbnail cache',
  'desktop.ini': 'Windows folder settings',
  'ehthumbs.db': 'a Windows thumbnail cache',
};

/**
 * The entry's path inside the archive, its `.` and `..` segments resolved; a 400 naming the entry when it is
 * absolute or climbs out of the archive's root, as an archive written to disk would escape its folder.
 */
export function entryPath(name: string): string[] {
  if (name.startsWith('/') || name.startsWith('\\') || /^[A-Za-z]:/.test(name)) {
    throw entryError(name, 'an absolute path: entries must lie inside the archive');
  }
  if (name.includes('\0')) throw entryError(name, 'the name holds a NUL character');
  const segments: string[] = [];
  for (const segment of name.split('/')) {
    if (segment === '' || segment === '.') continue;
    if (segment === '..') {
      if (segments.length === 0) throw entryError(name, 'the path escapes the archive root');
      segments.pop();
      continue;
    }
    segments.push(segment);
  }
  return segments;
}

/** Why a file is junk rather than an image, or undefined when it may be one. */
function junkReason(segments: string[]): string | undefined {
  if (segments.includes('__MACOSX')) return 'macOS resource fork (__MACOSX)';
  const base = segments.at(-1)!;
  if (base === '.DS_Store') return 'macOS folder settings (.DS_Store)';
  const system = SYSTEM_FILES[base.toLowerCase()];
  if (system) return system;
  if (segments.some((segment) => segment.startsWith('.'))) return 'a hidden file or folder';
  return undefined;
}

/**
 * What an entry is: its class is the archive's top folder, whatever folders lie between it and the file. Paths
 * that escape the archive are refused before anything else, whatever the entry is.
 */
export function entryRole(name: string, kind: 'file' | 'folder' | 'other'): EntryRole {
  const segments = entryPath(name);
  if (kind === 'folder' || segments.length === 0) return { role: 'folder' };
  const junk = junkReason(segments);
  if (junk) return { role: 'skipped', reason: junk };
  if (kind === 'other') return { role: 'skipped', reason: 'not a regular file (a link or a device)' };
  if (segments.length === 1) return { role: 'skipped', reason: 'outside any class folder' };
  const label = segments[0]!.normalize('NFC').trim();
  if (label === '') throw entryError(name, 'the class folder name is blank');
  if (label.length > MAX_LABEL_LENGTH) {
    throw entryError(name, `the class folder name is longer than ${MAX_LABEL_LENGTH} characters`);
  }
  return { role: 'image', label };
}
