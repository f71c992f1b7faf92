import { createHash } from 'node:crypto';
import { Type, type Static } from 'typebox';
import { newId } from '../ids.js';
import { listPage, storeKey, type BlobStore, type Page } from '../store/blob-store.js';
import { ColumnSchema } from './columns.js';
import { FORMAT_NAMES } from './formats/index.js';
import { gatherRows, pickSamples, SAMPLES_PER_LABEL, type SampleIndex } from './images/image-samples.js';
import type { ParsedImages } from './images/parsed-images.js';
import type { ParsedDataset } from './rows.js';
import { StringRecord } from '../string-record.js';

export const DatasetSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    format: Type.Enum(FORMAT_NAMES),
    kind: Type.Enum(['tabular', 'image'], {
      description: 'tabular: rows of numbers; image: pictures, featureShape [H, W, C], pixels 0-255',
    }),
    rows: Type.Integer(),
    featureShape: Type.Array(Type.Integer()),
    labels: Type.Array(Type.String()),
    labelCounts: StringRecord(Type.Integer()),
    target: Type.Optional(
      Type.Object(
        { min: Type.Number(), max: Type.Number(), mean: Type.Number(), std: Type.Number() },
        {
          description:
            'Present when every label is a number, so the dataset can train a regression (task: "regression"); labels and labelCounts are empty when there are more distinct numbers than MAX_CLASSES',
        },
      ),
    ),
    columns: Type.Optional(
      Type.Array(ColumnSchema, {
        description:
          'CSV datasets: the feature columns in order, their kinds and how they became the features (featureShape [sum of their widths])',
      }),
    ),
    skipped: Type.Optional(
      Type.Object(
        {
          count: Type.Integer(),
          entries: Type.Array(Type.Object({ entry: Type.String(), reason: Type.String() }), {
            description: 'The first 100 skipped entries',
          }),
        },
        { description: 'Image archives: entries that are not images of a class (junk, files at the root)' },
      ),
    ),
    sha256: Type.String({ description: 'SHA-256 of the uploaded bytes' }),
    sizeBytes: Type.Integer({ description: 'Size of the uploaded body' }),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Dataset' },
);
export type Dataset = Static<typeof DatasetSchema>;
/** A registered format's name, as stored. */
export type DatasetFormat = Dataset['format'];

/** A stored dataset's numbers, ready for training; an image dataset's pixels as they are, 0-255. */
export interface DatasetData {
  features: Float32Array;
  labelIndex: Uint32Array;
  /** Each row's label as a number, when every label is one: what regression learns. */
  targets?: Float32Array;
}

/** A stored image dataset: its pixels one uint8 each, [N, H, W, C] row-major, and each image's label. */
export interface ImageData {
  pixels: Uint8Array;
  shape: [number, number, number, number];
  /** The dataset's labels; `labelIndex` holds each image's index into them. */
  labels: string[];
  labelIndex: Uint32Array;
}

/** An image dataset's samples: a few images per label, as {@link ImageData}, with the row each came from. */
export type ImageSamples = ImageData & { rows: number[] };

const bytesOf = (array: Uint8Array | Uint32Array | Float32Array) =>
  new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
/** A stored blob as a typed array of its own (a copy, aligned). */
const u32Of = (blob: Buffer) =>
  new Uint32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));
const f32Of = (blob: Buffer) =>
  new Float32Array(blob.buffer.slice(blob.byteOffset, blob.byteOffset + blob.byteLength));

/** The range, mean and standard deviation of numeric labels. */
function summarize(targets: Float32Array): NonNullable<Dataset['target']> {
  let [min, max, sum, squares] = [Infinity, -Infinity, 0, 0];
  for (const y of targets) {
    min = Math.min(min, y);
    max = Math.max(max, y);
    sum += y;
    squares += y * y;
  }
  const mean = sum / targets.length;
  return { min, max, mean, std: Math.sqrt(Math.max(squares / targets.length - mean * mean, 0)) };
}

const prefix = (tenant: string) => storeKey('tenants', tenant, 'datasets');
const key = (tenant: string, id: string, file: string) => storeKey('tenants', tenant, 'datasets', id, file);

/**
 * Datasets of every tenant, kept in the blob store, per dataset: `meta.json` (the record) and `labels.u32` (each
 * row's label index, uint32), with `features.f32` (float32 [N, ...featureShape]) for tabular datasets, and for
 * image datasets `pixels.u8` (uint8 [N, H, W, C]), `samples.u8` (a few images per label, the same layout) and
 * `samples.json` (their rows and labels). Typed arrays are stored in the machine's byte order (little-endian).
 */
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
      kind: 'tabular',
      rows: parsed.rows,
      featureShape: parsed.featureShape,
      labels: parsed.labels,
      labelCounts: parsed.labelCounts,
      ...(parsed.targets && { target: summarize(parsed.targets) }),
      ...(parsed.columns && { columns: parsed.columns }),
      sha256: createHash('sha256').update(bytes).digest('hex'),
      sizeBytes: bytes.byteLength,
      createdAt: new Date().toISOString(),
    };
    await this.store.put(key(tenant, dataset.id, 'features.f32'), bytesOf(parsed.features));
    await this.store.put(key(tenant, dataset.id, 'labels.u32'), bytesOf(parsed.labelIndex));
    if (parsed.targets) await this.store.put(key(tenant, dataset.id, 'targets.f32'), bytesOf(parsed.targets));
    // meta.json last: a dataset exists once its metadata does.
    await this.store.put(key(tenant, dataset.id, 'meta.json'), JSON.stringify(dataset));
    return dataset;
  }

  /** Stores a parsed image archive: its pixels, labels and samples, then its record. */
  async createImages(
    tenant: string,
    name: string,
    format: DatasetFormat,
    parsed: ParsedImages,
    id: string = newId('ds'),
  ): Promise<Dataset> {
    const { rows, featureShape, labels, labelCounts, skipped, sha256, sizeBytes } = parsed;
    const dataset: Dataset = {
      id,
      name,
      format,
      kind: 'image',
      rows,
      featureShape,
      labels,
      labelCounts,
      skipped,
      sha256,
      sizeBytes,
      createdAt: new Date().toISOString(),
    };
    const samples = pickSamples(parsed.labelIndex, labels.length);
    const imageBytes = featureShape[0] * featureShape[1] * featureShape[2];
    await this.store.put(key(tenant, id, 'pixels.u8'), parsed.pixels);
    await this.store.put(key(tenant, id, 'labels.u32'), bytesOf(parsed.labelIndex));
    await this.store.put(key(tenant, id, 'samples.u8'), gatherRows(parsed.pixels, imageBytes, samples.rows));
    await this.store.put(key(tenant, id, 'samples.json'), JSON.stringify(samples));
    await this.store.put(key(tenant, id, 'meta.json'), JSON.stringify(dataset));
    return dataset;
  }

  /** Bytes an image dataset takes in the store, for the tenant's quota. */
  static storedImageBytes(parsed: ParsedImages): number {
    const imageBytes = parsed.featureShape.reduce((a, b) => a * b, 1);
    const counts = Object.values(parsed.labelCounts);
    const samples = counts.reduce((sum, count) => sum + Math.min(count, SAMPLES_PER_LABEL), 0) * imageBytes;
    return parsed.pixels.byteLength + parsed.labelIndex.byteLength + samples;
  }

  async get(tenant: string, id: string): Promise<Dataset | undefined> {
    const meta = await this.store.get(key(tenant, id, 'meta.json'));
    if (!meta) return undefined;
    const dataset = JSON.parse(meta.toString('utf8')) as Omit<Dataset, 'kind'> & Partial<Dataset>;
    // Records stored before datasets had kinds are tabular.
    return { ...dataset, kind: dataset.kind ?? 'tabular' };
  }

  /** A page of them, newest first. */
  async list(tenant: string, page: Page): Promise<{ items: Dataset[]; nextCursor: string | null }> {
    const { ids, nextCursor } = await listPage(this.store, prefix(tenant), page);
    const items = await Promise.all(ids.map((id) => this.get(tenant, id)));
    return { items: items.filter((item): item is Dataset => item !== undefined), nextCursor };
  }

  /** A dataset's features as float32, for training; an image dataset's are its pixel values, 0-255. */
  async load(tenant: string, id: string): Promise<DatasetData> {
    const [features, labels, targets] = await Promise.all([
      this.store.get(key(tenant, id, 'features.f32')),
      this.store.get(key(tenant, id, 'labels.u32')),
      this.store.get(key(tenant, id, 'targets.f32')),
    ]);
    if (!features && labels) {
      const pixels = await this.store.get(key(tenant, id, 'pixels.u8'));
      if (pixels) return { features: Float32Array.from(pixels), labelIndex: u32Of(labels) };
    }
    if (!features || !labels) throw new Error(`dataset ${id} has no stored data`);
    return {
      features: f32Of(features),
      labelIndex: u32Of(labels),
      ...(targets && { targets: f32Of(targets) }),
    };
  }

  /** An image dataset's pixels as stored, uint8 [N, H, W, C], with its labels. */
  async loadImages(tenant: string, id: string): Promise<ImageData> {
    const dataset = await this.get(tenant, id);
    const [pixels, labels] = await Promise.all([
      this.store.get(key(tenant, id, 'pixels.u8')),
      this.store.get(key(tenant, id, 'labels.u32')),
    ]);
    if (!dataset || dataset.kind !== 'image' || !pixels || !labels) {
      throw new Error(`dataset ${id} has no stored images`);
    }
    const [height, width, channels] = dataset.featureShape as [number, number, number];
    const shape: ImageData['shape'] = [dataset.rows, height, width, channels];
    return { pixels, shape, labels: dataset.labels, labelIndex: u32Of(labels) };
  }

  /** An image dataset's samples (its first images of each label), without reading its pixels. */
  async loadSamples(tenant: string, dataset: Dataset): Promise<ImageSamples> {
    const [pixels, index] = await Promise.all([
      this.store.get(key(tenant, dataset.id, 'samples.u8')),
      this.store.get(key(tenant, dataset.id, 'samples.json')),
    ]);
    if (!pixels || !index) throw new Error(`dataset ${dataset.id} has no stored samples`);
    const { rows, labelIndex } = JSON.parse(index.toString('utf8')) as SampleIndex;
    const [height, width, channels] = dataset.featureShape as [number, number, number];
    return {
      pixels,
      shape: [rows.length, height, width, channels],
      labels: dataset.labels,
      labelIndex: Uint32Array.from(labelIndex),
      rows,
    };
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.store.deletePrefix(storeKey('tenants', tenant, 'datasets', id));
  }
}
