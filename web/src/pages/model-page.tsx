import { useApi } from '../api.js';
import type { ModelRecord } from '../api-types.js';
import { HistoryCharts } from '../components/history-charts.js';
import { ProblemBox } from '../components/problem-box.js';
import { useResource } from '../components/use-resource.js';
import { formatBytes, formatTime } from '../format.js';
import { href, Link } from '../router.js';
import { ModelEvaluation } from './model-evaluation.js';
import { ModelAliases, ModelDownloads, ModelLineage } from './model-lineage.js';
import { PredictPlayground } from './predict-playground.js';

function ModelFacts({ model }: { model: ModelRecord }) {
  const params = model.layers.reduce((sum, layer) => sum + layer.params, 0);
  return (
    <dl class="facts">
      <dt>Id</dt>
      <dd class="mono">{model.id}</dd>
      <dt>Source</dt>
      <dd>
        {model.source} · {model.format}
      </dd>
      <dt>Input</dt>
      <dd class="mono">[{model.inputShape.join(', ')}]</dd>
      <dt>Labels</dt>
      <dd>{model.labels ? model.labels.join(', ') : 'none given'}</dd>
      <dt>Layers</dt>
      <dd>
        {model.layers.length} layers, {params.toLocaleString()} weights
      </dd>
      <dt>Size</dt>
      <dd>{formatBytes(model.sizeBytes)}</dd>
      <dt>Backend</dt>
      <dd>{model.backend ? `${model.backend.name} (${model.backend.device})` : '–'}</dd>
      <dt>Created</dt>
      <dd>{formatTime(model.createdAt)}</dd>
    </dl>
  );
}

/** One model: how it did, how it trained, where it came from, its names and files, and predictions from it. */
export function ModelPage({ id }: { id: string }) {
  const api = useApi();
  const model = useResource((signal) => api.get<ModelRecord>(`/v1/models/${id}`, undefined, signal), [id]);
  const record = model.data;
  return (
    <section>
      <p class="crumbs">
        <Link href={href('models')}>Models</Link> /
      </p>
      <h1>{record?.name || id}</h1>
      <ProblemBox problem={model.problem} />
      {record && (
        <>
          <ModelFacts model={record} />
          <h2>Evaluation</h2>
          <ModelEvaluation evaluation={record.evaluation} />
          <h2>History</h2>
          {record.history.length > 0 ? (
            <HistoryCharts rows={record.history} />
          ) : (
            <p class="muted">No training history.</p>
          )}
          <h2>Predict</h2>
          <PredictPlayground model={record} />
          <h2>Lineage</h2>
          <ModelLineage model={record} />
          <h2>Aliases</h2>
          <ModelAliases model={record} />
          <h2>Download</h2>
          <ModelDownloads model={record} />
        </>
      )}
    </section>
  );
}
