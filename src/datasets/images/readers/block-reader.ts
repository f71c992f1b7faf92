import type { FileHandle } from 'node:fs/promises';
import { Readable } from 'node:stream';
import yauzl from 'yauzl';

/** Bytes read from the file at once, at offsets that are multiples of it. */
const BLOCK = 256 * 1024;
/** Blocks kept, the least recently used dropped: the directory's and the entries', far apart in the file. */
const KEPT = 4;

/**
 * A zip file on disk as yauzl reads it, by blocks: the central directory (at the end) and the entries (from the
 * start) are read in order, in small pieces (a header, a name, a few kilobytes of data), nearly all within the
 * blocks read last. Read one by one, each piece would be a trip to libuv's thread pool, which image decoding
 * shares.
 */
export class BlockReader extends yauzl.RandomAccessReader {
  private readonly blocks = new Map<number, Buffer>();

  constructor(
    private readonly handle: FileHandle,
    private readonly size: number,
  ) {
    super();
  }

  private async block(index: number): Promise<Buffer> {
    let block = this.blocks.get(index);
    if (block) {
      this.blocks.delete(index);
    } else {
      const start = index * BLOCK;
      block = Buffer.allocUnsafe(Math.min(BLOCK, this.size - start));
      const { bytesRead } = await this.handle.read(block, 0, block.byteLength, start);
      if (bytesRead < block.byteLength) throw new Error('the zip file ended early');
    }
    this.blocks.set(index, block);
    if (this.blocks.size > KEPT) this.blocks.delete(this.blocks.keys().next().value!);
    return block;
  }

  /** Bytes [start, end) of the file, a piece per block they lie in. */
  private async *pieces(start: number, end: number): AsyncGenerator<Buffer> {
    if (end > this.size) throw new Error('a read past the end of the zip file');
    for (let index = Math.floor(start / BLOCK); index * BLOCK < end; index++) {
      const block = await this.block(index);
      const from = Math.max(start - index * BLOCK, 0);
      yield block.subarray(from, Math.min(end - index * BLOCK, block.byteLength));
    }
  }

  override read(
    buffer: Buffer,
    offset: number,
    length: number,
    position: number,
    callback: (error: Error | null) => void,
  ): void {
    void (async () => {
      let at = offset;
      for await (const piece of this.pieces(position, position + length)) at += piece.copy(buffer, at);
    })().then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }

  override _readStreamForRange(start: number, end: number): Readable {
    return Readable.from(this.pieces(start, end));
  }

  override close(callback: (error: Error | null) => void): void {
    this.handle.close().then(
      () => callback(null),
      (error: Error) => callback(error),
    );
  }
}
