import { useState } from 'preact/hooks';
import type { TargetedSubmitEvent } from 'preact';
import { useApi } from '../api.js';
import type { Alias, JobView, ModelRecord } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { StatusBadge } from '../components/status-badge.js';
import { useResource } from '../components/use-resource.js';
import { asProblem, type ApiProblem } from '../problem.js';
import { href, Link } from '../router.js';

/** Where the model came from (its dataset, base and job) and the jobs that use it as their base. */
export function ModelLineage({ model }: { model: ModelRecord }) {
  const api = useApi();
  const built = useResource(
    async () => (await api.all<JobView>('/v1/jobs')).filter((job) => job.spec.baseModel === model.id),
    [model.id],
  );
  const { lineage } = model;
  return (
    <>
      <dl class="facts">
        <dt>Dataset</dt>
        <dd>
          {lineage.datasetId ? (
            <Link href={href('datasets', lineage.datasetId)}>{lineage.datasetId}</Link>
          ) : (
            '–'
          )}
          {lineage.datasetSha256 && (
            <div class="muted mono">sha256 {lineage.datasetSha256.slice(0, 16)}…</div>
          )}
        </dd>
        <dt>Base</dt>
        <dd>
          {lineage.baseModelId ? (
            <Link href={href('models', lineage.baseModelId)}>{lineage.baseModelId}</Link>
          ) : (
            'none: trained from scratch, or uploaded'
          )}
        </dd>
        <dt>Trained by</dt>
        <dd>{lineage.jobId ? <Link href={href('jobs', lineage.jobId)}>{lineage.jobId}</Link> : '–'}</dd>
        {model.origin && (
          <>
            <dt>Imported from</dt>
            <dd class="mono">{model.origin.base ?? model.origin.url}</dd>
          </>
        )}
      </dl>
      <h3>Jobs built on it</h3>
      <ProblemBox problem={built.problem} />
      {built.data?.length === 0 && <p class="muted">None.</p>}
      {built.data && built.data.length > 0 && (
        <ul>
          {built.data.map((job) => (
            <li key={job.id}>
              <Link href={href('jobs', job.id)}>{job.name || job.id}</Link>{' '}
              <StatusBadge status={job.status} />
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

/** The aliases pointing at the model, and a form to point one more at it. */
export function ModelAliases({ model }: { model: ModelRecord }) {
  const api = useApi();
  const aliases = useResource(
    async () => (await api.all<Alias>('/v1/aliases')).filter((alias) => alias.modelId === model.id),
    [model.id],
  );
  const [name, setName] = useState('');
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setProblem(undefined);
    try {
      await api.send('PUT', `/v1/aliases/${encodeURIComponent(name.trim())}`, { modelId: model.id });
      setName('');
      aliases.reload();
    } catch (error) {
      setProblem(asProblem(error));
    }
  };
  return (
    <>
      <ProblemBox problem={aliases.problem} />
      {aliases.data && (
        <p>
          {aliases.data.length === 0
            ? 'No alias points here.'
            : aliases.data.map((alias) => (
                <code key={alias.name} class="alias">
                  {alias.name}
                </code>
              ))}
        </p>
      )}
      <form class="inline-form" onSubmit={(event) => void submit(event)}>
        <label for="alias-name">Point an alias here</label>
        <input
          id="alias-name"
          required
          value={name}
          onInput={(event) => setName(event.currentTarget.value)}
        />
        <button type="submit">Set alias</button>
      </form>
      <ProblemBox problem={problem} />
    </>
  );
}

/** The model's files, fetched with the key (a plain link could not send it) and saved. */
export function ModelDownloads({ model }: { model: ModelRecord }) {
  const api = useApi();
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  const save = (file: string) =>
    api
      .download(`/v1/models/${model.id}/${file}`, file)
      .catch((error: unknown) => setProblem(asProblem(error)));
  return (
    <>
      <ul class="downloads">
        {model.files.map((file) => (
          <li key={file}>
            <button type="button" class="link" onClick={() => void save(file)}>
              {file}
            </button>
          </li>
        ))}
      </ul>
      <ProblemBox problem={problem} />
    </>
  );
}
