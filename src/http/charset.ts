import { TextDecoder } from 'node:util';
import { ProblemError } from '../errors.js';

const UTF8 = new Set(['utf-8', 'utf8', 'us-ascii', 'ascii']);

/** The `charset` parameter of a Content-Type header, lower-cased; undefined when there is none. */
export function declaredCharset(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(contentType ?? '');
  return match?.[1]?.toLowerCase();
}

/** Whether a body in this charset can be read as UTF-8 as it is. */
export const isUtf8Charset = (charset: string | undefined) => charset === undefined || UTF8.has(charset);

const unsupported = (charset: string, detail: string) =>
  new ProblemError(415, 'unsupported_charset', detail, { charset });

/**
 * The body as UTF-8 bytes without a byte order mark: decoded from the declared charset (any the WHATWG Encoding
 * standard names, such as ISO-8859-1, windows-1252 or UTF-16), so that labels keep their characters.
 */
export function utf8Body(body: Buffer, contentType: string | undefined): Buffer {
  const charset = declaredCharset(contentType);
  if (isUtf8Charset(charset)) return hasUtf8Bom(body) ? body.subarray(3) : body;
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(charset, { fatal: true });
  } catch {
    throw unsupported(charset!, `the charset '${charset}' is not one this service can decode; send UTF-8`);
  }
  try {
    // TextDecoder drops a leading byte order mark itself.
    return Buffer.from(decoder.decode(body), 'utf8');
  } catch {
    throw unsupported(charset!, `the body is not valid ${charset}`);
  }
}

const hasUtf8Bom = (body: Buffer) => body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf;
