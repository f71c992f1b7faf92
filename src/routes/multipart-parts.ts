import type { FastifyRequest } from 'fastify';
import { badRequest, ProblemError } from '../errors.js';

/** What a multipart body carried: its files in the order they came, and its text fields. */
export interface MultipartParts {
  files: Array<{ name: string; data: Buffer }>;
  fields: Record<string, string>;
}

export interface PartLimits {
  /** Bytes of every file together; past them, `tooLarge()`. */
  maxBytes: number;
  tooLarge: () => ProblemError;
  /** Each file's own bound, held by the parser as it reads (past it, `tooLarge()` too); else the plugin's. */
  fileSize?: number;
  /** The most files; one more is `tooMany()`, before it is read. */
  maxFiles?: number;
  tooMany?: () => ProblemError;
  /** Checks each file's name as it comes (throwing to refuse it). */
  checkName?: (name: string, files: MultipartParts['files']) => void;
}

/**
 * Reads every part of a multipart body, within `limits`. A body the parser cannot read (cut off, without a
 * boundary) is 400 `invalid_multipart`; problems and the framework's own 4xx pass as they are.
 */
export async function readParts(request: FastifyRequest, limits: PartLimits): Promise<MultipartParts> {
  const files: MultipartParts['files'] = [];
  const fields: Record<string, string> = {};
  let total = 0;
  const options = limits.fileSize === undefined ? {} : { limits: { fileSize: limits.fileSize } };
  try {
    for await (const part of request.parts(options)) {
      if (part.type === 'field') {
        fields[part.fieldname] = String(part.value);
        continue;
      }
      if (limits.maxFiles !== undefined && files.length === limits.maxFiles) throw limits.tooMany!();
      const data = await part.toBuffer();
      if ((total += data.byteLength) > limits.maxBytes) throw limits.tooLarge();
      limits.checkName?.(part.filename, files);
      files.push({ name: part.filename, data });
    }
  } catch (error) {
    if (limits.fileSize !== undefined && (error as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE')
      throw limits.tooLarge();
    if (error instanceof ProblemError || (error as { statusCode?: number }).statusCode) throw error;
    throw badRequest('invalid_multipart', `the multipart body cannot be read: ${(error as Error).message}`);
  }
  return { files, fields };
}
