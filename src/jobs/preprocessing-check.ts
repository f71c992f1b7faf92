import type { Dataset } from '../datasets/dataset-store.js';
import { unprocessable } from '../errors.js';
import type { ModelRecord } from '../models/model-store.js';
import { preprocessingKindOf, type AppliedKind } from '../training/input-preprocessing.js';
import type { JobSpec } from './job-spec.js';

const TAKES: Record<AppliedKind, string> = {
  standardize: 'standardizes each input value with its own statistics',
  scale: 'scales its inputs as a whole',
  none: 'takes its inputs as they are',
};

/**
 * A job's `preprocessing` against its records, at submission: a base keeps its own (its frozen layers were
 * trained on inputs scaled that way), and images are scaled as a whole, never standardized per pixel. A 422
 * naming `/preprocessing`.
 */
export function checkPreprocessing(
  spec: Pick<JobSpec, 'preprocessing'>,
  dataset: Pick<Dataset, 'id' | 'kind'>,
  base?: Pick<ModelRecord, 'id' | 'preprocessing'>,
): void {
  const kind = spec.preprocessing ?? 'auto';
  if (kind === 'auto') return;
  if (base) {
    const own = preprocessingKindOf(base.preprocessing);
    if (kind === own) return;
    throw unprocessable(
      'invalid_job',
      `base model ${base.id} ${TAKES[own]}, as its layers were trained on: a job on it keeps that ('auto' or '${own}'), not '${kind}'`,
      { field: '/preprocessing', expected: own },
    );
  }
  if (dataset.kind === 'image' && kind === 'standardize') {
    throw unprocessable(
      'invalid_job',
      `dataset ${dataset.id} holds images, whose pixels are scaled as a whole ('scale', as 'auto' does, or 'none'), not standardized one by one`,
      { field: '/preprocessing' },
    );
  }
}
