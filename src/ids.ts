import { randomFillSync } from 'node:crypto';
import { monotonicFactory } from 'ulid';

// Random bytes from the system's generator, drawn a block at a time: a ULID takes 16 of them, one call each.
const randomBytes = Buffer.alloc(4096);
let used = randomBytes.length;
function random(): number {
  if (used === randomBytes.length) {
    randomFillSync(randomBytes);
    used = 0;
  }
  return randomBytes[used++]! / 256;
}

const next = monotonicFactory(random);

export type IdKind = 'ds' | 'mdl' | 'job' | 'swp' | 'wrk' | 'whk';

/** A new resource id: a kind prefix and a lower-case ULID, so ids sort by creation time. */
export function newId(kind: IdKind): string {
  return `${kind}_${next().toLowerCase()}`;
}

/** JSON-schema pattern of the ids of one kind. */
export const idPattern = (kind: IdKind) => `^${kind}_[0-9a-hjkmnp-tv-z]{26}$`;

/** The tenant every resource belongs to until API keys assign others. */
export const DEFAULT_TENANT = 'default';
