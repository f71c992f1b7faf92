import fs from 'node:fs/promises';
import path from 'node:path';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import tar from 'tar-stream';

/** A file to put in an archive. */
export interface ArchiveFile {
  name: string;
  data?: Buffer;
  /** tar: the entry's type; zip folders are names ending in '/'. */
  type?: 'file' | 'directory' | 'symlink';
  /** zip: the uncompressed size the headers declare, when it should lie. */
  declaredSize?: number;
}

const FIXTURE = new URL('../../datasets/fashion-mnist/', import.meta.url);

/** The shipped Fashion-MNIST fixture: 28×28 grayscale PNGs, `<class>/<index>.png`, in name order. */
export async function fashionImages(perClass = Infinity): Promise<ArchiveFile[]> {
  const files: ArchiveFile[] = [];
  for (const label of (await fs.readdir(FIXTURE)).sort()) {
    const dir = new URL(`${label}/`, FIXTURE);
    const names = (await fs.readdir(dir)).sort().slice(0, perClass);
    for (const name of names)
      files.push({ name: `${label}/${name}`, data: await fs.readFile(new URL(name, dir)) });
  }
  return files;
}

/** The fixture's class folder names, sorted. */
export const fashionClasses = async () => (await fs.readdir(FIXTURE)).sort();

/** The fixture's absolute path. */
export const fashionDir = () => path.resolve(new URL(FIXTURE).pathname);

/**
 * A zip archive, written here byte by byte so that tests can make the headers lie: each file deflated (stored
 * when `store`), with a local header, then the central directory.
 */
export function zipOf(files: ArchiveFile[], { store = false }: { store?: boolean } = {}): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const name = Buffer.from(file.name);
    const data = file.data ?? Buffer.alloc(0);
    const method = store || data.byteLength === 0 ? 0 : 8;
    const packed = method === 8 ? deflateRawSync(data) : data;
    const size = file.declaredSize ?? data.byteLength;
    const fields = (header: Buffer, at: number) => {
      header.writeUInt16LE(20, at); // version needed
      header.writeUInt16LE(0x800, at + 2); // UTF-8 names
      header.writeUInt16LE(method, at + 4);
      header.writeUInt32LE(0, at + 6); // time, date
      header.writeUInt32LE(crc32(data), at + 10);
      header.writeUInt32LE(packed.byteLength, at + 14);
      header.writeUInt32LE(size, at + 18);
      header.writeUInt16LE(name.byteLength, at + 22);
    };
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    fields(local, 4);
    locals.push(local, name, packed);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(0x031e, 4); // made by: Unix
    fields(entry, 6);
    const mode = file.type === 'symlink' ? 0o120777 : file.name.endsWith('/') ? 0o040755 : 0o100644;
    entry.writeUInt32LE((mode << 16) >>> 0, 38);
    entry.writeUInt32LE(offset, 42);
    central.push(entry, name);
    offset += local.byteLength + name.byteLength + packed.byteLength;
  }
  const directory = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.byteLength, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A tar archive made with tar-stream, gzip-compressed when `gzip`. */
export async function tarOf(
  files: ArchiveFile[],
  { gzip = false }: { gzip?: boolean } = {},
): Promise<Buffer> {
  const pack = tar.pack();
  const chunks: Buffer[] = [];
  const collected = (async () => {
    for await (const chunk of pack as AsyncIterable<Buffer>) chunks.push(chunk);
  })();
  for (const file of files) {
    const type = file.type ?? (file.name.endsWith('/') ? 'directory' : 'file');
    if (type === 'symlink') pack.entry({ name: file.name, type, linkname: '../../etc/passwd' });
    else if (type === 'directory') pack.entry({ name: file.name, type });
    else pack.entry({ name: file.name, type }, file.data ?? Buffer.alloc(0));
  }
  pack.finalize();
  await collected;
  const body = Buffer.concat(chunks);
  return gzip ? gzipSync(body) : body;
}
