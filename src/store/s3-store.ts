import {
  DeleteObjectCommand,
  DeleteObjectsCommand,
  GetObjectCommand,
  HeadBucketCommand,
  ListObjectsV2Command,
  NoSuchKey,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { BlobStore } from './blob-store.js';

/** Where an S3-compatible store is and how to reach it. */
export interface S3Location {
  bucket: string;
  /** Key prefix inside the bucket, without leading or trailing `/`; empty for the bucket's root. */
  prefix: string;
  endpoint?: string;
  region: string;
  forcePathStyle: boolean;
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

/** Parses `s3://bucket/optional/prefix`. */
export function parseS3Url(url: string): { bucket: string; prefix: string } {
  const match = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:\/(.*))?$/.exec(url);
  if (!match) throw new Error(`STORE_URL '${url}' is not s3://bucket[/prefix]`);
  return { bucket: match[1]!, prefix: (match[2] ?? '').replace(/^\/+|\/+$/g, '') };
}

/**
 * A {@link BlobStore} on any S3-compatible object store (AWS S3, MinIO, Ceph, R2…) through the AWS SDK. A put is
 * atomic by S3's semantics: readers see the old object or the new one, never a part.
 */
export class S3Store implements BlobStore {
  private readonly client: S3Client;
  private readonly bucket: string;
  private readonly root: string;

  constructor(location: S3Location) {
    this.client = new S3Client({
      region: location.region,
      endpoint: location.endpoint,
      forcePathStyle: location.forcePathStyle,
      credentials: location.credentials,
    });
    this.bucket = location.bucket;
    this.root = location.prefix ? `${location.prefix}/` : '';
  }

  private key(key: string): string {
    return this.root + key;
  }

  async put(key: string, body: Uint8Array | string): Promise<void> {
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: this.key(key), Body: body }));
  }

  async get(key: string): Promise<Buffer | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: this.key(key) }),
      );
      return object.Body ? Buffer.from(await object.Body.transformToByteArray()) : Buffer.alloc(0);
    } catch (error) {
      if (error instanceof NoSuchKey) return undefined;
      throw error;
    }
  }

  /** The full key of every object under `prefix`, listed page by page. */
  private async *keysUnder(prefix: string): AsyncGenerator<string> {
    let token: string | undefined;
    do {
      const page = await this.client.send(
        new ListObjectsV2Command({
          Bucket: this.bucket,
          Prefix: this.key(prefix ? `${prefix}/` : ''),
          ContinuationToken: token,
        }),
      );
      for (const object of page.Contents ?? []) if (object.Key) yield object.Key;
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
  }

  /**
   * Names below `prefix` from a listing of every key under it, rather than S3's delimiter listing, which some
   * S3-compatible servers answer incompletely for keys nested more than one level down.
   */
  async list(prefix: string): Promise<string[]> {
    const below = this.key(prefix ? `${prefix}/` : '').length;
    const names = new Set<string>();
    for await (const key of this.keysUnder(prefix)) {
      const name = key.slice(below).split('/')[0];
      if (name) names.add(name);
    }
    return [...names].sort();
  }

  async delete(key: string): Promise<void> {
    await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: this.key(key) }));
  }

  async deletePrefix(prefix: string): Promise<void> {
    // Listed whole first: deleting between the pages of a listing could upset its continuation.
    const keys: Array<{ Key: string }> = [];
    for await (const key of this.keysUnder(prefix)) keys.push({ Key: key });
    for (let start = 0; start < keys.length; start += 1000) {
      await this.client.send(
        new DeleteObjectsCommand({
          Bucket: this.bucket,
          Delete: { Objects: keys.slice(start, start + 1000), Quiet: true },
        }),
      );
    }
  }

  async check(): Promise<void> {
    await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
  }
}
