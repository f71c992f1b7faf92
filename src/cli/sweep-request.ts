/**
 * The body of POST /v1/sweeps from `sweeps create`'s flags, over a whole request from `--file FILE` when one is
 * given: the job's flags over the file's `job` (as `jobs create` builds a job), and the sweep's own flags over
 * its fields. Values are checked by the API, which names the field at fault.
 */
import type { paths } from '../client/index.js';
import { badInput } from './errors.js';
import { jobFieldsOf, readJsonObject, type JobFlags, type Spec } from './job-request.js';

export type SweepRequest = paths['/v1/sweeps']['post']['requestBody']['content']['application/json'];
export type Sweep = paths['/v1/sweeps/{id}']['get']['responses'][200]['content']['application/json'];

/** The flags of a sweep's job: `jobs create`'s, but its name (the sweep names its trials) and its spec file. */
export type SweepJobFlags = Omit<JobFlags, 'spec' | 'name' | 'earlyStopping'>;
/** What `sweeps create` leaves out of `jobs create`'s options. */
export const NOT_SWEEP_JOB_FLAGS = ['name', 'earlyStopping'] as const satisfies ReadonlyArray<keyof JobFlags>;

export interface SweepFlags extends SweepJobFlags {
  file?: string;
  name?: string;
  space?: string;
  method?: SweepRequest['method'];
  trials?: number;
  parallel?: number;
  metric?: SweepRequest['metric'];
  alias?: string;
  /** `--no-early-stopping` makes it false; true (commander's default) leaves the file's rule alone. */
  earlyStopping?: boolean;
}

type Fields = Record<string, unknown>;

const objectOr = (value: unknown): Spec =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Spec) : {};

/** `--space`'s JSON object. */
function spaceOf(text: string): Fields {
  let space: unknown;
  try {
    space = JSON.parse(text);
  } catch (error) {
    throw badInput(`--space is not JSON: ${(error as Error).message}`);
  }
  if (typeof space !== 'object' || space === null || Array.isArray(space))
    throw badInput(`--space takes a JSON object such as '{"learningRate":{"values":[0.001,0.01]}}'`);
  return space as Fields;
}

/** The sweep request the flags (over the file, if any) describe. */
export async function sweepRequestOf(flags: SweepFlags): Promise<SweepRequest> {
  const { file, name, space, method, trials, parallel, metric, alias, earlyStopping, ...jobFlags } = flags;
  const request: Fields = file ? await readJsonObject(file, 'a sweep request') : {};
  // `--seed` seeds the sweep's draws and every trial's training: the trials differ only in their settings.
  const job = jobFieldsOf(objectOr(request.job), jobFlags);
  const over: Fields = {
    name,
    job,
    space: space === undefined ? undefined : spaceOf(space),
    method,
    trials,
    parallel,
    metric,
    alias,
    seed: jobFlags.seed,
    earlyStopping: earlyStopping === false ? { rule: 'none' } : undefined,
  };
  const sweep = {
    ...request,
    ...Object.fromEntries(Object.entries(over).filter(([, v]) => v !== undefined)),
  };
  if (job.dataset === undefined)
    throw badInput('give the training dataset: --dataset ID (or job.dataset in --file)');
  if (sweep.space === undefined)
    throw badInput(`give the settings to vary: --space JSON (or space in --file)`);
  return sweep as unknown as SweepRequest;
}
