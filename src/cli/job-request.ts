/**
 * The body of POST /v1/jobs from `jobs create`'s flags, over a full spec from `--spec FILE` when one is given:
 * a flag wins over the spec's field (a sweep's job is built the same way). Values are checked by the API, which
 * names the field at fault.
 */
import fs from 'node:fs/promises';
import type { JobRequest } from '../client/index.js';
import { badInput } from './errors.js';

export interface JobFlags {
  spec?: string;
  dataset?: string;
  name?: string;
  baseModel?: string;
  architecture?: 'mlp' | 'cnn';
  task?: 'classification' | 'regression';
  loss?: 'mse' | 'huber';
  hiddenUnits?: number[];
  dropout?: number;
  inputShape?: number[];
  filters?: number[];
  kernelSize?: number;
  denseUnits?: number;
  cutLayer?: string;
  freeze?: string;
  epochs?: number;
  batchSize?: number;
  learningRate?: number;
  fineTuneEpochs?: number;
  earlyStopping?: number;
  validationSplit?: number;
  validationDataset?: string;
  classWeight?: 'balanced';
  seed?: number;
  metadata?: Record<string, string>;
}

type Fields = Record<string, unknown>;
export type Spec = Fields & { hyperparameters?: Fields; transfer?: Fields };

/** The fields that are set, so that an unset flag leaves the spec's value alone. */
function defined(fields: Fields): Fields {
  return Object.fromEntries(Object.entries(fields).filter(([, value]) => value !== undefined));
}

/** `{...base, ...over}`, with the nested objects merged too when `over` sets any of their fields. */
function withFields(base: unknown, over: Fields): Fields | undefined {
  const set = defined(over);
  const from = typeof base === 'object' && base !== null ? (base as Fields) : undefined;
  if (Object.keys(set).length === 0) return from;
  return { ...from, ...set };
}

/** A JSON object from a file named on the command line (`-` reads standard input); `what` names what it holds. */
export async function readJsonObject(file: string, what = 'a job spec'): Promise<Fields> {
  const text = file === '-' ? await readStdin() : await fs.readFile(file, 'utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw badInput(`${file} is not JSON: ${(error as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw badInput(`${file} does not hold ${what} (a JSON object)`);
  return value as Fields;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** `all`, `none` or a number of top layers left trainable. */
function freezeOf(value: string | undefined): 'all' | 'none' | number | undefined {
  if (value === undefined || value === 'all' || value === 'none') return value;
  if (/^\d+$/.test(value)) return Number(value);
  throw badInput(`--freeze takes all, none or a number of layers, not '${value}'`);
}

/** The job the flags describe over `spec`'s fields (a flag wins), unchecked: `sweeps create` shares it. */
export function jobFieldsOf(spec: Spec, flags: Omit<JobFlags, 'spec'>): Fields {
  const baseModel = flags.baseModel ?? spec.baseModel;
  const hyperparameters = withFields(spec.hyperparameters, {
    epochs: flags.epochs,
    batchSize: flags.batchSize,
    learningRate: flags.learningRate,
    fineTune: withFields(spec.hyperparameters?.fineTune, { epochs: flags.fineTuneEpochs }),
    earlyStopping: withFields(spec.hyperparameters?.earlyStopping, { patience: flags.earlyStopping }),
  });
  const layers = { hiddenUnits: flags.hiddenUnits, dropout: flags.dropout };
  // Transfer learning gets a head; training from scratch an architecture (an MLP unless told otherwise).
  const model =
    baseModel === undefined
      ? {
          architecture: withFields(spec.architecture ?? { type: 'mlp' }, {
            type: flags.architecture,
            ...layers,
            inputShape: flags.inputShape,
            filters: flags.filters,
            kernelSize: flags.kernelSize,
            denseUnits: flags.denseUnits,
          }),
        }
      : {
          baseModel,
          // A base named by flag replaces the spec's way of training from scratch.
          architecture: flags.architecture
            ? { type: flags.architecture }
            : flags.baseModel
              ? undefined
              : spec.architecture,
          transfer: withFields(spec.transfer, {
            cutLayer: flags.cutLayer,
            freeze: freezeOf(flags.freeze),
            head: withFields(spec.transfer?.head, layers),
          }),
        };
  const validation =
    flags.validationDataset !== undefined
      ? { dataset: flags.validationDataset }
      : flags.validationSplit !== undefined
        ? { split: flags.validationSplit }
        : spec.validation;
  return defined({
    ...spec,
    dataset: flags.dataset ?? spec.dataset,
    name: flags.name ?? spec.name,
    task: flags.task ?? spec.task,
    loss: flags.loss ?? spec.loss,
    ...model,
    hyperparameters,
    validation,
    classWeight: flags.classWeight ?? spec.classWeight,
    seed: flags.seed ?? spec.seed,
    metadata: flags.metadata
      ? { ...(spec.metadata as Fields | undefined), ...flags.metadata }
      : spec.metadata,
  });
}

/** The job request the flags (over the spec file, if any) describe. */
export async function jobRequestOf(flags: JobFlags): Promise<JobRequest> {
  const request = jobFieldsOf(flags.spec ? await readJsonObject(flags.spec) : {}, flags);
  if (request.dataset === undefined) throw badInput('give the training dataset: --dataset ID (or in --spec)');
  return request as unknown as JobRequest;
}
