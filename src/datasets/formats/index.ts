import type { DatasetFormatDefinition } from '../dataset-format.js';
import { csv } from './csv.js';
import { json } from './json.js';
import { ndjson } from './ndjson.js';
import { tar } from './tar.js';
import { zip } from './zip.js';

/** Every dataset format the upload route accepts, each imported above and listed once; the 415 lists them in this order. */
export const FORMATS = [csv, ndjson, json, zip, tar] as const satisfies readonly DatasetFormatDefinition[];

export type RegisteredFormat = (typeof FORMATS)[number];

type NamesOf<Formats extends readonly unknown[]> = {
  [K in keyof Formats]: Formats[K] extends { name: infer Name } ? Name : never;
};
type UnionToIntersection<U> = (U extends unknown ? (union: U) => void : never) extends (both: infer I) => void
  ? I
  : never;

/** The format names as a tuple, for `Type.Enum`: the one list the stored `format` field is checked against. */
export const FORMAT_NAMES = FORMATS.map((format) => format.name) as unknown as NamesOf<typeof FORMATS>;

/** Every media type some format accepts, in registry order. */
export const MEDIA_TYPES: readonly string[] = FORMATS.flatMap((format) => format.mediaTypes);

/** The query options of all formats together, as TypeBox properties for the upload's querystring. */
export const FORMAT_OPTIONS = Object.assign(
  {},
  ...FORMATS.map((format) => format.options),
) as UnionToIntersection<RegisteredFormat['options']>;

// A media type claimed twice would make uploads depend on registry order: refuse it at start-up instead.
const byMediaType = new Map<string, RegisteredFormat>();
for (const format of FORMATS) {
  for (const type of format.mediaTypes) {
    const other = byMediaType.get(type);
    if (other) throw new Error(`dataset formats '${other.name}' and '${format.name}' both accept ${type}`);
    byMediaType.set(type, format);
  }
}

/** The format that accepts a media type (lower-case, without parameters), if any does. */
export const formatForMediaType = (mediaType: string): RegisteredFormat | undefined =>
  byMediaType.get(mediaType);

/** The media types of the formats that read a query option. */
export const mediaTypesTaking = (option: string): string[] =>
  FORMATS.filter((format) => Object.hasOwn(format.options, option)).flatMap((format) => format.mediaTypes);
