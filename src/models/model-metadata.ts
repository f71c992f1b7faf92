import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';
import { columnWidth } from '../datasets/columns.js';
import { badRequest, unprocessable } from '../errors.js';
import { GraphBaseSchema, ModelSchema, type ModelJson, type ModelRecord } from './model-store.js';

/**
 * What a model.json says about itself under `userDefinedMetadata.finetuned`: written into every model trained
 * here, and read back when such a model is uploaded again, so that it keeps its labels and the preprocessing its
 * weights expect.
 */
export const FinetunedMetadataSchema = Type.Object({
  modelId: Type.Optional(Type.String({ maxLength: 200 })),
  labels: Type.Union([Type.Array(Type.String({ minLength: 1, maxLength: 200 })), Type.Null()]),
  preprocessing: ModelSchema.properties.preprocessing,
  graphBase: Type.Optional(GraphBaseSchema),
  columns: ModelSchema.properties.columns,
  task: ModelSchema.properties.task,
  targetScaling: ModelSchema.properties.targetScaling,
});
export type FinetunedMetadata = Static<typeof FinetunedMetadataSchema>;

/** Where the metadata sits in model.json, as problems name it. */
const WHERE = 'model.json userDefinedMetadata.finetuned';

/** The metadata `json` carries, checked; null when it has none. */
export function metadataOf(json: ModelJson): FinetunedMetadata | null {
  const metadata = json.userDefinedMetadata?.finetuned;
  if (metadata === undefined) return null;
  if (!Value.Check(FinetunedMetadataSchema, metadata)) {
    const first = Value.Errors(FinetunedMetadataSchema, metadata)[0];
    const path = first?.instancePath ?? '';
    throw badRequest(
      'invalid_model',
      `${WHERE}${path.replaceAll('/', '.')}: ${first?.message ?? 'invalid'}`,
      {
        file: 'model.json',
        field: `userDefinedMetadata.finetuned${path.replaceAll('/', '.')}`,
      },
    );
  }
  if (metadata.graphBase) {
    // The head alone takes the base's output, not the instances its preprocessing is for.
    throw unprocessable(
      'unsupported_model',
      `model.json is the head of a model trained on a GraphModel base (${WHERE}.graphBase): it takes the output of ${metadata.graphBase.modelJson}, which is not part of it; bring the base in as a model of its own and train on it`,
      { file: 'model.json', field: 'userDefinedMetadata.finetuned.graphBase' },
    );
  }
  return metadata;
}

/** Checks that the metadata's preprocessing and columns fit a model whose instances have `featureSize` values. */
export function checkPreprocessingFits(
  preprocessing: ModelRecord['preprocessing'],
  featureSize: number,
  columns?: ModelRecord['columns'],
): void {
  const width = columns?.reduce((n, column) => n + columnWidth(column), 0);
  if (width !== undefined && width !== featureSize) {
    throw badRequest(
      'invalid_model',
      `${WHERE}.columns encode ${width} features but the model takes ${featureSize}`,
      { file: 'model.json', field: 'userDefinedMetadata.finetuned.columns' },
    );
  }
  const pixels = preprocessing?.pixels;
  if (pixels && !(Number.isFinite(pixels.scale) && Number.isFinite(pixels.offset))) {
    throw badRequest('invalid_model', `${WHERE}.preprocessing.pixels: scale and offset must be finite`, {
      file: 'model.json',
      field: 'userDefinedMetadata.finetuned.preprocessing.pixels',
    });
  }
  const stats = preprocessing?.standardize;
  if (!stats) return;
  for (const part of ['mean', 'std'] as const) {
    if (stats[part].length !== featureSize) {
      throw badRequest(
        'invalid_model',
        `${WHERE}.preprocessing.standardize.${part} has ${stats[part].length} values but the model takes ${featureSize}`,
        { file: 'model.json', field: `userDefinedMetadata.finetuned.preprocessing.standardize.${part}` },
      );
    }
  }
  if (stats.std.some((s) => !Number.isFinite(s) || s <= 0) || stats.mean.some((m) => !Number.isFinite(m))) {
    throw badRequest(
      'invalid_model',
      `${WHERE}.preprocessing.standardize: every mean must be finite and every std finite and above 0`,
      { file: 'model.json', field: 'userDefinedMetadata.finetuned.preprocessing.standardize' },
    );
  }
}
