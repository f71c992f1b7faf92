import { useApi } from '../api.js';
import type { Dataset, Page } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { useResource } from '../components/use-resource.js';
import { formatBytes, formatTime } from '../format.js';
import { href, Link } from '../router.js';
import { DatasetUpload } from './dataset-upload.js';

/** The tenant's datasets, newest first, and an upload. */
export function DatasetsPage() {
  const api = useApi();
  const datasets = useResource(
    (signal) => api.get<Page<Dataset>>('/v1/datasets', { limit: 100 }, signal),
    [],
  );
  return (
    <section>
      <h1>Datasets</h1>
      <ProblemBox problem={datasets.problem} />
      {datasets.data?.items.length === 0 && <p>No datasets yet: upload one below.</p>}
      {datasets.data && datasets.data.items.length > 0 && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Dataset</th>
                <th scope="col">Kind</th>
                <th scope="col">Rows</th>
                <th scope="col">Classes</th>
                <th scope="col">Size</th>
                <th scope="col">Uploaded</th>
              </tr>
            </thead>
            <tbody>
              {datasets.data.items.map((dataset) => (
                <tr key={dataset.id}>
                  <td>
                    <Link href={href('datasets', dataset.id)}>{dataset.name}</Link>
                    <div class="muted mono">{dataset.id}</div>
                  </td>
                  <td>
                    {dataset.kind} · {dataset.format}
                  </td>
                  <td>{dataset.rows}</td>
                  <td>{dataset.labels.length}</td>
                  <td>{formatBytes(dataset.sizeBytes)}</td>
                  <td>{formatTime(dataset.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <h2>Upload</h2>
      <DatasetUpload />
    </section>
  );
}
