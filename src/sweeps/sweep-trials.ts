import { Value } from 'typebox/value';
import { badRequest, ProblemError, unprocessable } from '../errors.js';
import { newId } from '../ids.js';
import { JobRequestSchema, type JobRequest, type JobSpec } from '../jobs/job-spec.js';
import { hasValidationRows } from '../jobs/job-validation.js';
import type { JobService } from '../jobs/job-service.js';
import { applySettings, DIMENSIONS, entriesOf, type TrialSettings } from './search-space.js';
import { SWEEP_METRICS, type SweepSpec } from './sweep-spec.js';
import { planTrials } from './trial-plan.js';

/** A trial as its sweep plans it: its place, its job's id, and the settings it tries. */
export interface PlannedTrial {
  index: number;
  jobId: string;
  settings: TrialSettings;
}

/** A planned trial with its checked job spec. */
export interface CheckedTrial extends PlannedTrial {
  spec: JobSpec;
}

/** The trial's job: the sweep's job with the trial's settings, named and tagged as the sweep's. */
export function trialRequest(sweep: SweepSpec, sweepId: string, trial: PlannedTrial): JobRequest {
  const job = applySettings(sweep.job, trial.settings);
  return {
    ...job,
    name: `${sweep.name}, trial ${trial.index + 1}`,
    metadata: { ...job.metadata, sweep: sweepId, trial: String(trial.index + 1) },
  };
}

const describe = (settings: TrialSettings) =>
  Object.entries(settings)
    .map(([name, value]) => `${name} ${JSON.stringify(value)}`)
    .join(', ');

/**
 * A trial's job refused at submission, as the sweep's problem: a field the space sets named as its space entry
 * (`/space/batchSize`), any other under `/job`.
 */
function asSweepProblem(error: unknown, sweep: SweepSpec, trial: PlannedTrial): unknown {
  if (!(error instanceof ProblemError) || error.status >= 500 || error.status === 429) return error;
  // What the job names is missing for every trial alike: the job's field, no trial.
  if (error.status === 404) {
    const missing = error.extensions.datasetId;
    const field =
      missing === undefined
        ? '/job/baseModel'
        : missing === sweep.job.dataset
          ? '/job/dataset'
          : '/job/validation/dataset';
    return new ProblemError(404, error.code, error.message, { ...error.extensions, field });
  }
  const field = typeof error.extensions.field === 'string' ? error.extensions.field : undefined;
  const owner = entriesOf(sweep.space).find(([name]) =>
    DIMENSIONS[name].fields.some((pointer) => field?.startsWith(pointer)),
  );
  const named = owner ? `/space/${owner[0]}` : field !== undefined ? `/job${field}` : '/job';
  const detail = `trial ${trial.index + 1} (${describe(trial.settings)}): ${error.message}`;
  return new ProblemError(error.status, error.code, detail, {
    ...error.extensions,
    field: named,
    trial: trial.index + 1,
  });
}

/** A trial's job as the job route's schema would take it: its settings applied may break it (an empty layer list). */
function checkTrialRequest(request: JobRequest): void {
  if (Value.Check(JobRequestSchema, request)) return;
  const first = Value.Errors(JobRequestSchema, request)[0];
  const field = first?.instancePath ?? '';
  throw badRequest('invalid_job', `${field || 'the job'}: ${first?.message ?? 'is not a valid job'}`, {
    field,
  });
}

/** Settings the job's model cannot take, and a metric its task or data cannot give: 422s naming the entry. */
function checkSweepAgainstJob(sweep: SweepSpec): void {
  if (sweep.alias?.startsWith('mdl_'))
    throw badRequest('invalid_sweep', "alias must not start with 'mdl_', which model ids use", {
      field: '/alias',
    });
  for (const [name] of entriesOf(sweep.space)) {
    const why = DIMENSIONS[name].refuse(sweep.job);
    if (why) throw unprocessable('invalid_sweep', why, { field: `/space/${name}` });
  }
  const task = sweep.job.task ?? 'classification';
  const wanted = SWEEP_METRICS[sweep.metric].task;
  if (wanted !== null && wanted !== task)
    throw unprocessable(
      'invalid_sweep',
      `${sweep.metric} measures a ${wanted}, and this sweep's job is a ${task}`,
      {
        field: '/metric',
      },
    );
}

/**
 * Plans the sweep's trials and checks each trial's job as a job submission would, so that nothing a trial could
 * fail on later is accepted: what the space sets is refused as its entry, the rest as the job's field.
 */
export async function checkedTrials(
  tenant: string,
  sweep: SweepSpec,
  sweepId: string,
  jobs: JobService,
  trials?: number,
) {
  checkSweepAgainstJob(sweep);
  const planned = planTrials(sweep.space, { method: sweep.method, trials, seed: sweep.seed });
  const checked: CheckedTrial[] = [];
  for (const [index, settings] of planned.entries()) {
    const trial: PlannedTrial = { index, jobId: newId('job'), settings };
    try {
      const request = trialRequest(sweep, sweepId, trial);
      checkTrialRequest(request);
      const { spec, records } = await jobs.inspect(tenant, request);
      if (!hasValidationRows(spec, records.dataset))
        throw unprocessable(
          'no_validation_data',
          `the sweep compares trials by ${sweep.metric}, but its job has no validation rows`,
          { field: '/validation' },
        );
      checked.push({ ...trial, spec });
    } catch (error) {
      throw asSweepProblem(error, sweep, trial);
    }
  }
  return checked;
}
