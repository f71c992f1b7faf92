import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { overLimit, type ImageLimits } from './image-limits.js';

/**
 * Passes an upload through as it comes, counting and hashing it: past `DATASET_ARCHIVE_MAX_BYTES` it fails with
 * a 413, so an archive is never spooled or read beyond the limit.
 */
export class UploadMeter extends Transform {
  bytes = 0;
  private readonly hash = createHash('sha256');

  constructor(private readonly limits: ImageLimits) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.bytes += chunk.byteLength;
    if (this.bytes > this.limits.maxArchiveBytes) {
      callback(
        overLimit('maxArchiveBytes', this.limits, `the archive is over ${this.limits.maxArchiveBytes} bytes`),
      );
      return;
    }
    this.hash.update(chunk);
    callback(null, chunk);
  }

  /** The SHA-256 of every byte that went through, in hex; once the upload has ended. */
  sha256(): string {
    return this.hash.digest('hex');
  }
}
