import { useMemo } from 'preact/hooks';
import { useApi } from '../api.js';
import type { Dataset, DatasetSamples } from '../api-types.js';
import { BarChart } from '../components/bar-chart.js';
import { ProblemBox } from '../components/problem-box.js';
import { useResource } from '../components/use-resource.js';
import { formatBytes, formatPercent, formatTime } from '../format.js';
import { href, Link } from '../router.js';
import { NewJobForm } from './new-job-form.js';

function ClassBalance({ dataset }: { dataset: Dataset }) {
  const counts = useMemo(() => dataset.labels.map((label) => dataset.labelCounts[label] ?? 0), [dataset]);
  return (
    <>
      <BarChart title="Rows per class" labels={dataset.labels} values={counts} />
      <details>
        <summary>The counts</summary>
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Class</th>
                <th scope="col">Rows</th>
                <th scope="col">Share</th>
              </tr>
            </thead>
            <tbody>
              {dataset.labels.map((label, i) => (
                <tr key={label}>
                  <th scope="row">{label}</th>
                  <td>{counts[i]}</td>
                  <td>{formatPercent((counts[i] ?? 0) / Math.max(1, dataset.rows))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

/** A few images of each class, as the dataset stores them. */
function Samples({ id }: { id: string }) {
  const api = useApi();
  const samples = useResource(
    (signal) => api.get<DatasetSamples>(`/v1/datasets/${id}/samples`, { limit: 4 }, signal),
    [id],
  );
  return (
    <>
      <ProblemBox problem={samples.problem} />
      <ul class="samples">
        {samples.data?.samples.map((sample) => (
          <li key={sample.index}>
            <img src={sample.png} alt={`${sample.label}, row ${sample.index}`} />
            <span>{sample.label}</span>
          </li>
        ))}
      </ul>
    </>
  );
}

/** One dataset: its shape and labels, its class balance, sample images, and a job to train on it. */
export function DatasetPage({ id }: { id: string }) {
  const api = useApi();
  const dataset = useResource((signal) => api.get<Dataset>(`/v1/datasets/${id}`, undefined, signal), [id]);
  const data = dataset.data;
  return (
    <section>
      <p class="crumbs">
        <Link href={href('datasets')}>Datasets</Link> /
      </p>
      <h1>{data?.name || id}</h1>
      <ProblemBox problem={dataset.problem} />
      {data && (
        <>
          <dl class="facts">
            <dt>Id</dt>
            <dd class="mono">{data.id}</dd>
            <dt>Format</dt>
            <dd>
              {data.format} ({data.kind})
            </dd>
            <dt>Rows</dt>
            <dd>{data.rows}</dd>
            <dt>Features</dt>
            <dd class="mono">[{data.featureShape.join(', ')}]</dd>
            <dt>Labels</dt>
            <dd>{data.labels.length}</dd>
            <dt>Size</dt>
            <dd>{formatBytes(data.sizeBytes)}</dd>
            {data.skipped && (
              <>
                <dt>Skipped</dt>
                <dd>{data.skipped.count} entries that are no class's images</dd>
              </>
            )}
            <dt>Uploaded</dt>
            <dd>{formatTime(data.createdAt)}</dd>
          </dl>
          <h2>Class balance</h2>
          <ClassBalance dataset={data} />
          {data.kind === 'image' && (
            <>
              <h2>Samples</h2>
              <Samples id={data.id} />
            </>
          )}
          <h2>Train a model</h2>
          <NewJobForm dataset={data} />
        </>
      )}
    </section>
  );
}
