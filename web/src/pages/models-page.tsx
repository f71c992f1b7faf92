import { useApi } from '../api.js';
import type { ModelRecord, Page } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { useResource } from '../components/use-resource.js';
import { formatBytes, formatNumber, formatPercent, formatTime } from '../format.js';
import { href, Link } from '../router.js';

/** A model's headline score on its evaluation rows: a classifier's accuracy, a regression's R². */
function headline(model: ModelRecord): string {
  const evaluation = model.evaluation;
  if (evaluation && 'accuracy' in evaluation) return formatPercent(evaluation.accuracy);
  if (evaluation && 'r2' in evaluation) return `R² ${formatNumber(evaluation.r2)}`;
  return formatPercent(model.metrics.val_accuracy ?? model.metrics.accuracy ?? null);
}

/** The tenant's models, newest first. */
export function ModelsPage() {
  const api = useApi();
  const models = useResource(
    (signal) => api.get<Page<ModelRecord>>('/v1/models', { limit: 100 }, signal),
    [],
  );
  return (
    <section>
      <h1>Models</h1>
      <ProblemBox problem={models.problem} />
      {models.data?.items.length === 0 && <p>No models yet: a job that succeeds makes one.</p>}
      {models.data && models.data.items.length > 0 && (
        <div class="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Model</th>
                <th scope="col">Source</th>
                <th scope="col">Input</th>
                <th scope="col">Classes</th>
                <th scope="col">Score</th>
                <th scope="col">Size</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {models.data.items.map((model) => (
                <tr key={model.id}>
                  <td>
                    <Link href={href('models', model.id)}>{model.name || model.id}</Link>
                    <div class="muted mono">{model.id}</div>
                  </td>
                  <td>
                    {model.source} · {model.format}
                  </td>
                  <td class="mono">[{model.inputShape.join(', ')}]</td>
                  <td>{model.labels?.length ?? '–'}</td>
                  <td>{headline(model)}</td>
                  <td>{formatBytes(model.sizeBytes)}</td>
                  <td>{formatTime(model.createdAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
