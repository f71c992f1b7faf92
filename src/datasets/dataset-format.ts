import type { Readable } from 'node:stream';
import type { Static, TObject, TProperties } from 'typebox';
import type { ParsedImages } from './images/parsed-images.js';
import type { ParsedDataset, ParseLimits } from './rows.js';

/** What a format's rows are: numbers in text (CSV, JSON), or images decoded to pixels. */
export type DatasetFormatKind = 'tabular' | 'image';

/** What a format of each kind parses an upload into. */
export interface ParsedByKind {
  tabular: ParsedDataset;
  image: ParsedImages;
}

/**
 * An upload's bytes: whole in memory, or as a stream for formats that read as they go. Tabular formats get
 * UTF-8 (the route decodes the declared charset first).
 */
export type DatasetInput = { body: Buffer } | { stream: Readable };

/** One dataset format: how the upload route recognises it, documents it and parses it. */
export interface DatasetFormatDefinition<
  Name extends string = string,
  Options extends TProperties = TProperties,
  Kind extends DatasetFormatKind = DatasetFormatKind,
> {
  /** Stored as the dataset's `format`. */
  readonly name: Name;
  readonly kind: Kind;
  /** Content types the upload route accepts for it, lower-case, without parameters. */
  readonly mediaTypes: readonly string[];
  /** One sentence for the docs. */
  readonly description: string;
  /**
   * Query parameters it reads, each an optional TypeBox schema; the route rejects them on uploads of other
   * formats.
   */
  readonly options: Options;
  /**
   * Validates the upload into numbers (tabular) or pixels (image); bad input is a 400 problem (`invalid_dataset`,
   * with `row`/`column`, or `entry` for an archive's entry).
   */
  parse(
    input: DatasetInput,
    options: Static<TObject<Options>>,
    limits: ParseLimits,
  ): Promise<ParsedByKind[Kind]>;
}

/** Declares a format, keeping its name, options and kind as literal types for the registry. */
export const defineFormat = <
  Name extends string,
  Options extends TProperties,
  Kind extends DatasetFormatKind = 'tabular',
>(
  definition: DatasetFormatDefinition<Name, Options, Kind>,
) => definition;

/** The whole upload as one buffer, for formats that cannot parse a stream as it comes. */
export async function bodyOf(input: DatasetInput): Promise<Buffer> {
  if ('body' in input) return input.body;
  const parts: Buffer[] = [];
  for await (const chunk of input.stream as AsyncIterable<Buffer | string>) {
    parts.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  }
  return Buffer.concat(parts);
}
