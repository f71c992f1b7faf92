import { useState } from 'preact/hooks';
import type { TargetedSubmitEvent } from 'preact';
import { useApi } from '../api.js';
import type { Dataset, JobRequest, JobView, ModelRecord, Page } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { useResource } from '../components/use-resource.js';
import { asProblem, type ApiProblem } from '../problem.js';
import { href, navigate } from '../router.js';

interface Settings {
  name: string;
  /** 'mlp', 'cnn', or a base model's id. */
  model: string;
  hiddenUnits: string;
  epochs: number;
  batchSize: number;
  learningRate: number;
  split: number;
}

/** The job the form asks for: a network from scratch, or a transfer from a stored model. */
function jobRequest(dataset: Dataset, s: Settings): JobRequest {
  const units = s.hiddenUnits
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(Number);
  const base =
    s.model === 'mlp'
      ? { architecture: { type: 'mlp' as const, hiddenUnits: units } }
      : s.model === 'cnn'
        ? { architecture: { type: 'cnn' as const, inputShape: dataset.featureShape } }
        : { baseModel: s.model };
  return {
    ...(s.name.trim() ? { name: s.name.trim() } : {}),
    dataset: dataset.id,
    ...base,
    validation: { split: s.split },
    hyperparameters: { epochs: s.epochs, batchSize: s.batchSize, learningRate: s.learningRate },
  };
}

function NumberField(props: {
  id: string;
  label: string;
  value: number;
  step?: string;
  onChange: (v: number) => void;
}) {
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        step={props.step ?? '1'}
        value={props.value}
        onInput={(event) => props.onChange(Number(event.currentTarget.value))}
      />
    </>
  );
}

/** Submits a training job on the dataset, then goes to the job's page to watch it. */
export function NewJobForm({ dataset }: { dataset: Dataset }) {
  const api = useApi();
  const bases = useResource(() => api.get<Page<ModelRecord>>('/v1/models', { limit: 100 }), []);
  const [s, setS] = useState<Settings>({
    name: '',
    model: 'mlp',
    hiddenUnits: '128',
    epochs: 10,
    batchSize: 32,
    learningRate: 0.001,
    split: 0.2,
  });
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  const set = (change: Partial<Settings>) => setS((old) => ({ ...old, ...change }));

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    setProblem(undefined);
    try {
      const job = await api.send<JobView>('POST', '/v1/jobs', jobRequest(dataset, s));
      navigate(href('jobs', job.id));
    } catch (error) {
      setProblem(asProblem(error));
    }
  };

  return (
    <form class="new-job" onSubmit={(event) => void submit(event)}>
      <label for="job-name">Name</label>
      <input id="job-name" value={s.name} onInput={(e) => set({ name: e.currentTarget.value })} />
      <label for="job-model">Model</label>
      <select id="job-model" value={s.model} onChange={(e) => set({ model: e.currentTarget.value })}>
        <option value="mlp">MLP from scratch</option>
        {dataset.featureShape.length === 3 && <option value="cnn">CNN from scratch</option>}
        {bases.data?.items.map((model) => (
          <option key={model.id} value={model.id}>
            transfer from {model.name || model.id}
          </option>
        ))}
      </select>
      {s.model === 'mlp' && (
        <>
          <label for="job-units">Hidden units per layer</label>
          <input
            id="job-units"
            value={s.hiddenUnits}
            onInput={(e) => set({ hiddenUnits: e.currentTarget.value })}
          />
        </>
      )}
      <NumberField id="job-epochs" label="Epochs" value={s.epochs} onChange={(epochs) => set({ epochs })} />
      <NumberField
        id="job-batch"
        label="Batch size"
        value={s.batchSize}
        onChange={(batchSize) => set({ batchSize })}
      />
      <NumberField
        id="job-rate"
        label="Learning rate"
        step="any"
        value={s.learningRate}
        onChange={(learningRate) => set({ learningRate })}
      />
      <NumberField
        id="job-split"
        label="Validation share"
        step="0.05"
        value={s.split}
        onChange={(split) => set({ split })}
      />
      <button type="submit">Train</button>
      <ProblemBox problem={problem} />
    </form>
  );
}
