import { Type, type Static } from 'typebox';
import { idPattern } from '../ids.js';
import { StringRecord } from '../string-record.js';
import { ModelRefSchema } from '../models/alias-store.js';
import {
  ArchitectureRequestSchema,
  resolveArchitecture,
  type Architecture,
} from '../training/architectures/index.js';
import {
  AugmentationRequestSchema,
  resolveAugmentation,
  type Augmentation,
} from '../training/augmentation.js';
import { ClassWeightSchema, type ClassWeight } from '../training/class-weights.js';
import { PreprocessingKindSchema, type PreprocessingKind } from '../training/input-preprocessing.js';
import { AUTO_SETTINGS, type AutoSetting } from '../training/training-settings.js';

export type { Architecture } from '../training/architectures/index.js';

const Id = (kind: 'ds' | 'mdl', description: string) =>
  Type.String({ pattern: idPattern(kind), description });
const Rate = Type.Number({ exclusiveMinimum: 0, maximum: 1 });
const Dropout = Type.Number({ minimum: 0, maximum: 0.9 });
const Epochs = Type.Integer({ minimum: 1, maximum: 1000 });
/** A setting the service may choose: the value, or "auto" (the same as leaving it out). */
const OrAuto = <T extends Parameters<typeof Type.Union>[0][number]>(value: T, description: string) =>
  Type.Union([value, Type.Literal('auto')], { description });

/**
 * What a job runs with before the service settles the "auto" settings against its dataset (see auto-settings.ts):
 * a job trained directly from a spec, without that step, runs with these.
 */
export const FALLBACK_SETTINGS = { epochs: 10, batchSize: 32, learningRate: 1e-3 } as const;

/** The body of POST /v1/jobs. Defaults are filled by {@link resolveJobSpec}, not by the validator. */
export const JobRequestSchema = Type.Object(
  {
    dataset: Id('ds', 'Training dataset'),
    task: Type.Optional(
      Type.Enum(['classification', 'regression'], {
        description:
          'classification (default): one of the labels; regression: the label as a number (every label must be one)',
      }),
    ),
    loss: Type.Optional(
      Type.Enum(['mse', 'huber'], {
        description: 'Regression: mean squared error (default) or Huber loss, on the standardized target',
      }),
    ),
    validation: Type.Optional(
      Type.Object(
        {
          split: Type.Optional(
            Type.Number({
              minimum: 0,
              maximum: 0.5,
              description: 'Stratified hold-out fraction (default 0.2)',
            }),
          ),
          dataset: Type.Optional(Id('ds', 'A separate validation dataset')),
        },
        { additionalProperties: false },
      ),
    ),
    baseModel: Type.Optional(
      ModelRefSchema(
        'Pretrained model to transfer from: its id, or an alias (resolved when the job is submitted)',
      ),
    ),
    architecture: Type.Optional(ArchitectureRequestSchema),
    transfer: Type.Optional(
      Type.Object(
        {
          cutLayer: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
          freeze: Type.Optional(
            Type.Union([Type.Enum(['all', 'none']), Type.Integer({ minimum: 0, maximum: 10000 })]),
          ),
          head: Type.Optional(
            Type.Object(
              {
                hiddenUnits: Type.Optional(
                  Type.Array(Type.Integer({ minimum: 1, maximum: 4096 }), { maxItems: 8 }),
                ),
                dropout: Type.Optional(Dropout),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    hyperparameters: Type.Optional(
      Type.Object(
        {
          epochs: Type.Optional(
            OrAuto(
              Epochs,
              'Epochs; "auto" (the default): from the training steps it takes, with early stopping',
            ),
          ),
          batchSize: Type.Optional(
            OrAuto(
              Type.Integer({ minimum: 1, maximum: 4096 }),
              'Rows per step; "auto" (the default): from the number of training rows and the job budget',
            ),
          ),
          learningRate: Type.Optional(
            OrAuto(Rate, 'Adam\'s learning rate; "auto" (the default): chosen for the job'),
          ),
          beta1: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
          beta2: Type.Optional(Type.Number({ minimum: 0, exclusiveMaximum: 1 })),
          epsilon: Type.Optional(Type.Number({ exclusiveMinimum: 0, maximum: 1 })),
          fineTune: Type.Optional(
            Type.Object(
              {
                epochs: Epochs,
                learningRate: Type.Optional(Rate),
                unfreeze: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000 })),
              },
              { additionalProperties: false },
            ),
          ),
          earlyStopping: Type.Optional(
            Type.Object(
              {
                monitor: Type.Optional(Type.Enum(['val_loss', 'val_accuracy'])),
                patience: Type.Optional(Type.Integer({ minimum: 0, maximum: 1000 })),
                minDelta: Type.Optional(Type.Number({ minimum: 0, maximum: 1e6 })),
                restoreBest: Type.Optional(Type.Boolean()),
              },
              { additionalProperties: false },
            ),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    augmentation: Type.Optional(AugmentationRequestSchema),
    classWeight: Type.Optional(ClassWeightSchema),
    preprocessing: Type.Optional(PreprocessingKindSchema),
    seed: Type.Optional(Type.Integer({ minimum: 0, maximum: 2 ** 31 - 1 })),
    name: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    metadata: Type.Optional(
      StringRecord(Type.String({ maxLength: 1000 }), {
        maxProperties: 50,
        propertyNames: { minLength: 1, maxLength: 100 },
      }),
    ),
  },
  { title: 'JobRequest', additionalProperties: false },
);
export type JobRequest = Static<typeof JobRequestSchema>;

export interface Transfer {
  cutLayer: string | null;
  freeze: 'all' | 'none' | number;
  head: { hiddenUnits: number[]; dropout: number };
}

export interface Hyperparameters {
  /** The settings the service chose (see auto-settings.ts); absent in specs stored before it. */
  auto?: Array<AutoSetting | 'earlyStopping'>;
  epochs: number;
  batchSize: number;
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  fineTune: { epochs: number; learningRate: number; unfreeze: number | null } | null;
  earlyStopping: {
    monitor: 'val_loss' | 'val_accuracy';
    patience: number;
    minDelta: number;
    restoreBest: boolean;
  } | null;
}

/** A job request with every default filled in: what the worker runs and what GET /v1/jobs/:id shows. */
export interface JobSpec {
  name: string;
  dataset: string;
  /** What is learnt; absent in specs stored before regression, which are classifications. */
  task?: 'classification' | 'regression';
  /** Regression's loss; null for a classification (cross-entropy). */
  loss?: 'mse' | 'huber' | null;
  validation: { split: number } | { dataset: string };
  baseModel: string | null;
  architecture: Architecture | null;
  transfer: Transfer | null;
  hyperparameters: Hyperparameters;
  /** Image datasets: changes drawn for each training image every epoch. */
  augmentation: Augmentation | null;
  classWeight: ClassWeight | null;
  /** How inputs are scaled; absent in specs stored before it, which read as `auto`. */
  preprocessing?: PreprocessingKind;
  seed: number;
  metadata: Record<string, string>;
}

const given = (value: number | 'auto' | undefined) => (value === 'auto' ? undefined : value);

/** Fills defaults. Shape checks against datasets and models happen in the job service. */
export function resolveJobSpec(request: JobRequest, randomSeed: () => number): JobSpec {
  const h = request.hyperparameters ?? {};
  const validation =
    request.validation?.dataset !== undefined
      ? { dataset: request.validation.dataset }
      : { split: request.validation?.split ?? 0.2 };
  const t = request.transfer;
  return {
    name: request.name ?? `job on ${request.dataset}`,
    dataset: request.dataset,
    task: request.task ?? 'classification',
    loss: request.task === 'regression' ? (request.loss ?? 'mse') : null,
    validation,
    baseModel: request.baseModel ?? null,
    architecture: request.architecture ? resolveArchitecture(request.architecture) : null,
    transfer: request.baseModel
      ? {
          cutLayer: t?.cutLayer ?? null,
          freeze: t?.freeze ?? 'all',
          head: { hiddenUnits: t?.head?.hiddenUnits ?? [128], dropout: t?.head?.dropout ?? 0.2 },
        }
      : null,
    hyperparameters: {
      auto: AUTO_SETTINGS.filter((key) => h[key] === undefined || h[key] === 'auto'),
      epochs: given(h.epochs) ?? FALLBACK_SETTINGS.epochs,
      batchSize: given(h.batchSize) ?? FALLBACK_SETTINGS.batchSize,
      learningRate: given(h.learningRate) ?? FALLBACK_SETTINGS.learningRate,
      beta1: h.beta1 ?? 0.9,
      beta2: h.beta2 ?? 0.999,
      epsilon: h.epsilon ?? 1e-7,
      fineTune: h.fineTune
        ? {
            epochs: h.fineTune.epochs,
            learningRate: h.fineTune.learningRate ?? 1e-5,
            unfreeze: h.fineTune.unfreeze ?? null,
          }
        : null,
      earlyStopping: h.earlyStopping
        ? {
            monitor: h.earlyStopping.monitor ?? 'val_loss',
            patience: h.earlyStopping.patience ?? 3,
            minDelta: h.earlyStopping.minDelta ?? 0,
            restoreBest: h.earlyStopping.restoreBest ?? true,
          }
        : null,
    },
    augmentation: request.augmentation ? resolveAugmentation(request.augmentation) : null,
    classWeight: request.classWeight ?? null,
    preprocessing: request.preprocessing ?? 'auto',
    seed: request.seed ?? randomSeed(),
    metadata: request.metadata ?? {},
  };
}
