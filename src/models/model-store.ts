import * as tf from '@tensorflow/tfjs';
import { Type, type Static } from 'typebox';
import { listPage, storeKey, type BlobStore, type Page } from '../store/blob-store.js';
import { StringRecord } from '../string-record.js';
import { ColumnSchema } from '../datasets/columns.js';
import { PreprocessingSchema } from './preprocessing.js';
import { EvaluationSchema } from '../training/evaluate.js';
import { RegressionEvaluationSchema } from '../training/regression-evaluation.js';
import { EpochRowSchema } from '../training/progress.js';
import { TrainingSettingsSchema } from '../training/training-settings.js';

const Metrics = StringRecord(Type.Union([Type.Number(), Type.Null()]));

/** Where the GraphModel base of a model trained on one is stored beside its head. */
export const GraphBaseSchema = Type.Object(
  {
    modelJson: Type.String({ description: "The base's model.json among the model's files" }),
    featureShape: Type.Array(Type.Integer(), {
      description: "Shape of the base's output for one instance: what the head (model.json) takes",
    }),
  },
  {
    description:
      'Present on a model trained on a GraphModel base: model.json is the head, which takes the base’s output, and the base is stored beside it. Predictions chain the two; a TF.js program does `head.predict(base.predict(x))`',
  },
);

export const ModelSchema = Type.Object(
  {
    id: Type.String(),
    name: Type.String(),
    source: Type.Enum(['upload', 'job', 'import']),
    format: Type.Enum(['layers-model', 'graph-model'], {
      description:
        'layers-model: a TF.js LayersModel (trainable, can be cut and fine-tuned); graph-model: a converted TF graph, only ever a frozen feature extractor or a whole model to predict with',
    }),
    inputShape: Type.Array(Type.Integer(), {
      description: 'Shape of one instance, without the batch dimension',
    }),
    labels: Type.Union([Type.Array(Type.String()), Type.Null()], {
      description: 'Class labels in output order; null for an uploaded model uploaded without labels',
    }),
    layers: Type.Array(
      Type.Object({
        name: Type.String(),
        className: Type.String(),
        outputShape: Type.Array(Type.Union([Type.Integer(), Type.Null()])),
        params: Type.Integer(),
      }),
    ),
    defaultCutLayer: Type.Union([Type.String(), Type.Null()], {
      description:
        "Where a transfer job cuts this model unless told otherwise: the layer named 'features', else the input of the final Dense layer",
    }),
    preprocessing: PreprocessingSchema,
    columns: Type.Optional(
      Type.Array(ColumnSchema, {
        description:
          'A model trained on a CSV: its input columns, which predict takes by name (objects) or in order (arrays of numbers, text and nulls), encoded as in training',
      }),
    ),
    metrics: Metrics,
    evaluation: Type.Union([EvaluationSchema, RegressionEvaluationSchema, Type.Null()]),
    task: Type.Optional(
      Type.Enum(['classification', 'regression'], {
        description: 'What the model predicts; absent: classification (labels and scores)',
      }),
    ),
    targetScaling: Type.Optional(
      Type.Object(
        { mean: Type.Number(), std: Type.Number() },
        {
          description:
            'Regression: the model outputs (y − mean) / std of the target it learnt; predictions undo it, a TF.js program does output × std + mean',
        },
      ),
    ),
    history: Type.Array(EpochRowSchema),
    training: Type.Optional(TrainingSettingsSchema),
    lineage: Type.Object({
      jobId: Type.Union([Type.String(), Type.Null()]),
      baseModelId: Type.Union([Type.String(), Type.Null()]),
      datasetId: Type.Union([Type.String(), Type.Null()]),
      datasetSha256: Type.Union([Type.String(), Type.Null()]),
    }),
    backend: Type.Union([Type.Object({ name: Type.String(), device: Type.String() }), Type.Null()]),
    origin: Type.Optional(
      Type.Object(
        {
          url: Type.String({
            description: 'The model.json it was fetched from (secret-looking query values redacted)',
          }),
          base: Type.Union([Type.String(), Type.Null()], {
            description: 'The catalogue base it is (GET /v1/bases), or null for a URL imported as given',
          }),
          sha256: Type.String({
            description:
              'SHA-256 of model.json then each weight file in manifest order, as fetched: what `sha256` pins',
          }),
        },
        { description: 'Where an imported model came from; absent for uploads and trained models' },
      ),
    ),
    graphBase: Type.Optional(GraphBaseSchema),
    files: Type.Array(Type.String(), { description: 'model.json and the weight files it names' }),
    sizeBytes: Type.Integer(),
    createdAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Model' },
);
export type ModelRecord = Static<typeof ModelSchema>;
export type ModelFormat = ModelRecord['format'];

/** model.json as TF.js writes it. */
export interface ModelJson {
  modelTopology: object;
  weightsManifest: tf.io.WeightsManifestConfig;
  format?: string;
  generatedBy?: string;
  convertedBy?: string | null;
  userDefinedMetadata?: Record<string, unknown>;
  /** A GraphModel's inputs and outputs, when the converter wrote them here rather than in userDefinedMetadata. */
  signature?: object;
}

const modelKey = (tenant: string, id: string, ...rest: string[]) =>
  storeKey('tenants', tenant, 'models', id, ...rest);

/** Stored models: `meta.json` plus `files/` holding model.json and its weight files, as a TF.js client fetches them. */
export class ModelStore {
  constructor(private readonly store: BlobStore) {}

  /** Stores the files first and the record last, so a listed model is always complete. */
  async create(
    tenant: string,
    record: ModelRecord,
    files: Map<string, Uint8Array | string>,
  ): Promise<ModelRecord> {
    for (const [name, body] of files) await this.store.put(modelKey(tenant, record.id, 'files', name), body);
    await this.store.put(modelKey(tenant, record.id, 'meta.json'), JSON.stringify(record));
    return record;
  }

  /** Serialises a trained model into the files {@link create} stores. */
  static async serialize(
    model: tf.LayersModel,
    userDefinedMetadata: Record<string, unknown>,
  ): Promise<Map<string, Uint8Array | string>> {
    let artifacts: tf.io.ModelArtifacts | undefined;
    await model.save(
      tf.io.withSaveHandler((saved) => {
        artifacts = saved;
        return Promise.resolve({ modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(saved) });
      }),
    );
    if (!artifacts?.weightData || !artifacts.weightSpecs) throw new Error('the model produced no weights');
    const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
    const json: ModelJson = {
      modelTopology: artifacts.modelTopology as object,
      format: artifacts.format ?? 'layers-model',
      generatedBy: artifacts.generatedBy,
      convertedBy: artifacts.convertedBy ?? null,
      weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs }],
      userDefinedMetadata,
    };
    return new Map<string, Uint8Array | string>([
      ['model.json', JSON.stringify(json)],
      ['weights.bin', new Uint8Array(weights)],
    ]);
  }

  async get(tenant: string, id: string): Promise<ModelRecord | undefined> {
    const meta = await this.store.get(modelKey(tenant, id, 'meta.json'));
    if (!meta) return undefined;
    // Records stored before models had formats are LayersModels.
    const record = JSON.parse(meta.toString('utf8')) as Omit<ModelRecord, 'format'> & Partial<ModelRecord>;
    return { ...record, format: record.format ?? 'layers-model' };
  }

  /** A page of them, newest first. */
  async list(tenant: string, page: Page): Promise<{ items: ModelRecord[]; nextCursor: string | null }> {
    const { ids, nextCursor } = await listPage(this.store, storeKey('tenants', tenant, 'models'), page);
    const items = await Promise.all(ids.map((id) => this.get(tenant, id)));
    return { items: items.filter((item): item is ModelRecord => item !== undefined), nextCursor };
  }

  /** One of the model's files (model.json or a weight file), or undefined. */
  async file(tenant: string, id: string, name: string): Promise<Buffer | undefined> {
    return this.store.get(modelKey(tenant, id, 'files', name));
  }

  /**
   * The model's artifacts, for `tf.loadLayersModel(tf.io.fromMemory(...))`; with `modelJson`, those of another
   * model.json among its files (the GraphModel base of a model trained on one).
   */
  async artifacts(tenant: string, id: string, modelJson = 'model.json'): Promise<tf.io.ModelArtifacts> {
    const raw = await this.file(tenant, id, modelJson);
    if (!raw) throw new Error(`model ${id} has no ${modelJson}`);
    const json = JSON.parse(raw.toString('utf8')) as ModelJson;
    return tf.io.getModelArtifactsForJSON(json as tf.io.ModelJSON, async (manifest) => {
      const specs: tf.io.WeightsManifestEntry[] = [];
      const buffers: ArrayBuffer[] = [];
      for (const group of manifest) {
        specs.push(...group.weights);
        for (const path of group.paths) {
          const data = await this.file(tenant, id, path);
          if (!data) throw new Error(`model ${id} is missing weight file ${path}`);
          buffers.push(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) as ArrayBuffer);
        }
      }
      return [specs, tf.io.CompositeArrayBuffer.join(buffers)];
    });
  }

  /** Loads a LayersModel onto the current backend; the caller disposes it. */
  async load(tenant: string, id: string): Promise<tf.LayersModel> {
    return tf.loadLayersModel(tf.io.fromMemory(await this.artifacts(tenant, id)));
  }

  /** Loads a GraphModel (a record of format 'graph-model') onto the current backend; the caller disposes it. */
  async loadGraph(tenant: string, id: string): Promise<tf.GraphModel> {
    return tf.loadGraphModel(tf.io.fromMemory(await this.artifacts(tenant, id)));
  }

  async delete(tenant: string, id: string): Promise<void> {
    await this.store.deletePrefix(modelKey(tenant, id));
  }
}

/** Summary of a model's layers, shown on GET /v1/models/:id so users can pick a cut layer. */
export function describeLayers(model: tf.LayersModel): ModelRecord['layers'] {
  return model.layers.map((layer) => {
    const shape = layer.outputShape;
    const first = Array.isArray(shape[0]) || shape[0] === undefined ? shape[0] : shape;
    return {
      name: layer.name,
      className: layer.getClassName(),
      outputShape: (first as (number | null)[] | undefined) ?? [],
      params: layer.countParams(),
    };
  });
}
