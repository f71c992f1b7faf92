import { Fragment } from 'preact';
import type { CheckpointInfo, JobView } from '../api-types.js';
import { formatBytes, formatTime } from '../format.js';
import { href, Link } from '../router.js';

/** Nested settings as `a.b: value` lines. */
function flatten(value: unknown, prefix = ''): Array<[string, string]> {
  if (value === null || value === undefined) return prefix ? [[prefix, 'none']] : [];
  if (typeof value !== 'object' || Array.isArray(value)) return [[prefix, JSON.stringify(value)]];
  return Object.entries(value).flatMap(([key, inner]) => flatten(inner, prefix ? `${prefix}.${key}` : key));
}

/** What the job trains on and how: its dataset, its base or architecture, and every hyperparameter. */
export function JobSpecView({ spec }: { spec: JobView['spec'] }) {
  const settings = flatten({
    hyperparameters: spec.hyperparameters,
    transfer: spec.transfer,
    architecture: spec.architecture,
    validation: spec.validation,
    augmentation: spec.augmentation,
    classWeight: spec.classWeight,
    seed: spec.seed,
  });
  return (
    <dl class="facts">
      <dt>Dataset</dt>
      <dd>
        <Link href={href('datasets', spec.dataset)}>{spec.dataset}</Link>
      </dd>
      <dt>Base</dt>
      <dd>
        {spec.baseModel ? (
          <Link href={href('models', spec.baseModel)}>{spec.baseModel}</Link>
        ) : (
          `from scratch (${spec.architecture?.type ?? 'none'})`
        )}
      </dd>
      {settings.map(([name, value]) => (
        <Fragment key={name}>
          <dt class="mono">{name}</dt>
          <dd class="mono">{value}</dd>
        </Fragment>
      ))}
    </dl>
  );
}

/** The running job's checkpoints, oldest first (they are deleted when it ends). */
export function CheckpointTable({ checkpoints }: { checkpoints: CheckpointInfo[] }) {
  if (checkpoints.length === 0) return <p class="muted">None kept (a job's checkpoints go when it ends).</p>;
  return (
    <div class="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Epoch</th>
            <th scope="col">Phase</th>
            <th scope="col">Batch</th>
            <th scope="col">Attempt</th>
            <th scope="col">Size</th>
            <th scope="col">Written</th>
          </tr>
        </thead>
        <tbody>
          {checkpoints.map((checkpoint) => (
            <tr key={checkpoint.id}>
              <td>{checkpoint.epoch}</td>
              <td>{checkpoint.phase}</td>
              <td>{checkpoint.batch}</td>
              <td>{checkpoint.attempt}</td>
              <td>{formatBytes(checkpoint.sizeBytes)}</td>
              <td>{formatTime(checkpoint.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
