import type { Dataset, DatasetData } from '../src/datasets/dataset-store.js';
import type { JobSpec } from '../src/jobs/job-spec.js';
import type { ModelRecord } from '../src/models/model-store.js';
import { JobFailure } from './job-failure.js';
import type { RunDeps } from './run-deps.js';
import type { RunRequest } from './training-run.js';

/** What a run trains on, as it is when the job runs (the API's checks at submission may be out of date). */
export interface RunInputs {
  dataset: Dataset;
  data: DatasetData;
  validationData: DatasetData | undefined;
  baseRecord: ModelRecord | undefined;
}

/** Maps a validation dataset's labels onto the training labels' indices; undefined when one is unknown. */
function remapLabels(data: DatasetData, from: string[], to: string[]): DatasetData | undefined {
  const index = from.map((label) => to.indexOf(label));
  if (index.some((i) => i < 0)) return undefined;
  return { features: data.features, labelIndex: data.labelIndex.map((i) => index[i]!) };
}

/** The training data, its validation data and the base model's record; a job whose inputs went fails. */
export async function loadInputs(deps: RunDeps, { tenant, spec }: RunRequest): Promise<RunInputs> {
  const dataset = await deps.datasets.get(tenant, spec.dataset);
  if (!dataset)
    throw new JobFailure('dataset_missing', `dataset ${spec.dataset} was deleted before the job ran`);
  const data = await deps.datasets.load(tenant, dataset.id);
  const validationData = await loadValidationData(deps, tenant, spec, dataset);
  let baseRecord: ModelRecord | undefined;
  if (spec.baseModel) {
    baseRecord = await deps.models.get(tenant, spec.baseModel);
    if (!baseRecord)
      throw new JobFailure('model_missing', `base model ${spec.baseModel} was deleted before the job ran`);
  }
  return { dataset, data, validationData, baseRecord };
}

/** The job's own validation dataset, its labels as the training dataset numbers them; undefined when it has none. */
async function loadValidationData(
  deps: RunDeps,
  tenant: string,
  spec: JobSpec,
  dataset: Dataset,
): Promise<DatasetData | undefined> {
  if (!('dataset' in spec.validation)) return undefined;
  const meta = await deps.datasets.get(tenant, spec.validation.dataset);
  if (!meta)
    throw new JobFailure(
      'dataset_missing',
      `validation dataset ${spec.validation.dataset} was deleted before the job ran`,
    );
  const loaded = await deps.datasets.load(tenant, meta.id);
  // A regression learns the numbers themselves; a classification, the training dataset's classes.
  if (spec.task === 'regression') return loaded;
  const validationData = remapLabels(loaded, meta.labels, dataset.labels);
  // Submission checks this; the failure is recorded like any other should the datasets change behind the API.
  if (!validationData) {
    throw new JobFailure('unknown_labels', 'the validation dataset has labels the training dataset lacks');
  }
  return validationData;
}
