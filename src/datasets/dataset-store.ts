import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { newId } from '../ids.js';
import { listPage, storeKey, type BlobStore, type Page } from '../store/blob-store.js';
import { FORMAT_NAMES } from './formats/index.js';
import type { ParsedDataset } from './rows.js';
import { StringRecord } from '../string-record.js';

export const DatasetSchema = Type.Object({
  id: Type.String(),
  name: Type.String(),
  format: Type.Enum(FORMAT_NAMES),
  rows: Type.Integer(),
  featureShape: Type.Array(Type.Integer()),
  labels: Type.Array(Type.String()),
  labelCounts: StringRecord(Type.Integer()),
  sha256: Type.String({ description: 'SHA-256 of the uploaded bytes' }),
  sizeBytes: Type.Integer({ description: 'Size of the uploaded body' }),
  createdAt: Type.String({ format: 'date-time' }),
});
export type Dataset = Static<typeof DatasetSchema>;
/** A registered format's name, as stored. */
export type DatasetFormat = Dataset['format'];

/** A stored dataset's numbers, ready for training. */
export interface DatasetData {
  features: Float32Array;
  labelIndex: Uint32Array;
}

const prefix = (tenant: string) => storeKey('tenants', tenant, 'datasets');
const key = (tenant: string, id: string, file: string) => storeKey('tenants', tenant, 'datasets', id, file);

/** Datasets of every tenant, kept in the blob store: `meta.json`, `features.f32` and `labels.u32` per dataset. */
export class DatasetStore {
  constructor(private readonly store: BlobStore) {}

  async create(
    tenant: string,
    name: string,
    format: DatasetFormat,
    raw: Buffer | string,
    parsed: ParsedDataset,
    id: string = newId('ds'),
  ): Promise<Dataset> {
    const bytes = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const dataset: Dataset = {
      id,
      name,
      format,
      rows: parsed.rows,
      featureShape: parsed.featureShape,
      labels: parsed.labels,
      labelCounts: parsed.labelCounts,
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.byteLength,
      createdAt: new Date().toISOString(),
    };
    const features = parsed.features;
    await this.store.put(
      key(tenant, dataset.id, 'features.f32'),
      new Uint8Array(features.buffer, features.byteOffset, features.byteLength),
    );
    const labels = parsed.labelIndex;
    await this.store.put(
      key(tenant, dataset.id, 'labels.u32'),
      new Uint8Array(labels.buffer, labels.byteOffset, labels.byteLength),
    );
    // meta.json last: a dataset exists once its metadata does.
    await this.store.put(key(tenant, dataset.id, 'meta.json'), JSON.stringify(dataset));
    return dataset;
  }

  async get(tenant: string, id: string): Promise<Dataset | undefined> {
    const meta = await this.store.get(key(tenant, id, 'meta.json'));
    return meta ? (JSON.parse(meta.toString('utf8')) as Dataset) : undefined;
  }

  /** A page of them, newest first. */
  async list(tenant: string, page: Page): Promise<{ items: Dataset[]; nextCursor: string | null }> {
    const { ids, nextCursor } = await listPage(this.store, prefix(tenant), page);
    const items = await Promise.all(ids.map((id) => this.get(tenant, id)));
    return { items: items.filter((item): item is Dataset => item !== undefined), nextCursor };
  }

  async load(tenant: string, id: string): Promise<DatasetData> {
    const [features, labels] = await Promise.all([
      this.store.get(key(tenant, id, 'features.f32')),
      this.store.get(key(tenant, id, 'labels.u32')),
    ]);
    if (!features || !labels) throw new Error(`dataset ${id} has no stored data`);
    return {
      features: new Float32Array(
        features.buffer.slice(features.byteOffset, features.byteOffset + features.byteLength),
      ),
      labelIndex: new Uint32Array(
        labels.buffer.slice(labels.byteOffset, labels.byteOffset + labels.byteLength),
      ),
    };
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.store.deletePrefix(storeKey('tenants', tenant, 'datasets', id));
  }
}
