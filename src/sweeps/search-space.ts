import { Type, type Static, type TNumber, type TSchema } from 'typebox';
import type { JobRequest } from '../jobs/job-spec.js';

/** A list of values to try. */
const Values = <T extends TSchema>(item: T) =>
  Type.Object(
    { values: Type.Array(item, { minItems: 1, maxItems: 20, description: 'The values to try' }) },
    { additionalProperties: false },
  );
/**
 * A list of values to try, or (random search only) a range to draw from, uniformly or uniformly in its logarithm.
 * One object rather than a union of the two, so that a bad `min` is refused as `min` (trial-plan.ts checks that
 * exactly one of the two is given).
 */
const ValuesOrRange = (
  item: TNumber,
  {
    minimum,
    maximum,
    scale,
    description,
  }: { minimum: number; maximum: number; scale: 'linear' | 'log'; description: string },
) =>
  Type.Object(
    {
      values: Type.Optional(
        Type.Array(item, { minItems: 1, maxItems: 20, description: 'The values to try' }),
      ),
      min: Type.Optional(Type.Number({ minimum, maximum })),
      max: Type.Optional(Type.Number({ minimum, maximum })),
      scale: Type.Optional(
        Type.Enum(['linear', 'log'], { description: `How a range is drawn (default ${scale})` }),
      ),
    },
    { additionalProperties: false, description },
  );

const LearningRate = Type.Number({ exclusiveMinimum: 0, maximum: 1 });
const Dropout = Type.Number({ minimum: 0, maximum: 0.9 });

/** One setting a sweep can vary: what the space gives for it, where it applies, and how it changes a job. */
interface Dimension {
  schema: TSchema;
  /** Drawn ranges use this scale unless the range says otherwise. */
  scale: 'linear' | 'log';
  /** Whether values are whole numbers (a range's draws are rounded). */
  integer: boolean;
  /** The job fields it sets (JSON pointers): a trial's job refused on one of them is refused for this setting. */
  fields: string[];
  /** Why the job cannot vary this setting, or null when it can. */
  refuse(job: JobRequest): string | null;
  /** The job with the setting at `value`. */
  apply(job: JobRequest, value: unknown): JobRequest;
}

const withHyperparameter = (job: JobRequest, key: 'learningRate' | 'batchSize', value: unknown) => ({
  ...job,
  hyperparameters: { ...job.hyperparameters, [key]: value as number },
});
/**
 * The job with its trained layers changed: a transfer head's, or the architecture's. A job with neither is left as
 * it is, for the job's own check to refuse.
 */
function withLayers(job: JobRequest, layers: { hiddenUnits?: number[]; dropout?: number }): JobRequest {
  if (job.baseModel)
    return { ...job, transfer: { ...job.transfer, head: { ...job.transfer?.head, ...layers } } };
  return job.architecture ? { ...job, architecture: { ...job.architecture, ...layers } } : job;
}

/**
 * Every setting a sweep can search over, listed once: a new one is an entry here, its request field and the code
 * that applies it to a trial's job together.
 */
export const DIMENSIONS = {
  learningRate: {
    schema: ValuesOrRange(LearningRate, {
      ...{ minimum: 1e-7, maximum: 1, scale: 'log' },
      description: "Adam's learning rate: `values`, or a `min`–`max` range drawn log-uniformly",
    }),
    scale: 'log',
    integer: false,
    fields: ['/hyperparameters/learningRate'],
    refuse: () => null,
    apply: (job, value) => withHyperparameter(job, 'learningRate', value),
  },
  batchSize: {
    schema: Values(Type.Integer({ minimum: 1, maximum: 4096 })),
    scale: 'linear',
    integer: true,
    fields: ['/hyperparameters/batchSize'],
    refuse: () => null,
    apply: (job, value) => withHyperparameter(job, 'batchSize', value),
  },
  hiddenUnits: {
    schema: Values(Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { maxItems: 8 })),
    scale: 'linear',
    integer: true,
    fields: ['/architecture/hiddenUnits', '/transfer/head/hiddenUnits'],
    refuse: (job) =>
      job.architecture && job.architecture.type !== 'mlp' && !job.baseModel
        ? `'hiddenUnits' varies an MLP's layers or a transfer head's; a ${job.architecture.type} has 'denseUnits'`
        : null,
    apply: (job, value) => withLayers(job, { hiddenUnits: value as number[] }),
  },
  dropout: {
    schema: ValuesOrRange(Dropout, {
      ...{ minimum: 0, maximum: 0.9, scale: 'linear' },
      description: 'Dropout after each hidden layer (of the transfer head, with a base)',
    }),
    scale: 'linear',
    integer: false,
    fields: ['/architecture/dropout', '/transfer/head/dropout'],
    refuse: () => null,
    apply: (job, value) => withLayers(job, { dropout: value as number }),
  },
  unfreeze: {
    schema: Values(Type.Integer({ minimum: 0, maximum: 10000 })),
    scale: 'linear',
    integer: true,
    fields: ['/transfer/freeze'],
    refuse: (job) =>
      job.baseModel ? null : "'unfreeze' trains top layers of a base, so it needs a 'baseModel'",
    // 0 trains none of the base: the head alone, on cached features.
    apply: (job, value) => ({
      ...job,
      transfer: { ...job.transfer, freeze: value === 0 ? 'all' : (value as number) },
    }),
  },
} satisfies Record<string, Dimension>;

export type DimensionName = keyof typeof DIMENSIONS;
export const DIMENSION_NAMES = Object.keys(DIMENSIONS) as DimensionName[];

export const SearchSpaceSchema = Type.Object(
  Object.fromEntries(DIMENSION_NAMES.map((name) => [name, Type.Optional(DIMENSIONS[name].schema)])) as {
    [K in DimensionName]: ReturnType<typeof Type.Optional<(typeof DIMENSIONS)[K]['schema']>>;
  },
  {
    additionalProperties: false,
    minProperties: 1,
    description: 'The settings to vary, each a list of `values` (or, in random search, a `min`–`max` range)',
  },
);
export type SearchSpace = Static<typeof SearchSpaceSchema>;
export type SpaceEntry = { values: unknown[] } | { min: number; max: number; scale?: 'linear' | 'log' };

/** A trial's settings: a value for each setting the space varies. */
export type TrialSettings = Partial<Record<DimensionName, unknown>>;

/** The space's entries, in registry order. */
export function entriesOf(space: SearchSpace): Array<[DimensionName, SpaceEntry]> {
  return DIMENSION_NAMES.flatMap((name) => {
    const entry = space[name] as SpaceEntry | undefined;
    return entry ? [[name, entry] as [DimensionName, SpaceEntry]] : [];
  });
}

/** The trial's job: the sweep's job with each setting applied. */
export function applySettings(job: JobRequest, settings: TrialSettings): JobRequest {
  return DIMENSION_NAMES.reduce(
    (request, name) => (name in settings ? DIMENSIONS[name].apply(request, settings[name]) : request),
    job,
  );
}
