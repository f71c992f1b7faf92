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
  /** Left empty: the service chooses it from the dataset ("auto"). */
  epochs: number | undefined;
  batchSize: number | undefined;
  learningRate: number | undefined;
  split: number;
}

/** The settings the service chooses when left empty: [setting, input id, label, step]. */
const AUTO_FIELDS: Array<[AutoSetting, string, string, string]> = [
  ['epochs', 'job-epochs', 'Epochs', '1'],
  ['batchSize', 'job-batch', 'Batch size', '1'],
  ['learningRate', 'job-rate', 'Learning rate', 'any'],
];
type AutoSetting = 'epochs' | 'batchSize' | 'learningRate';

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
    hyperparameters: {
      epochs: s.epochs ?? 'auto',
      batchSize: s.batchSize ?? 'auto',
      learningRate: s.learningRate ?? 'auto',
    },
  };
}

/** A number input; with `auto`, empty means the service chooses, as its placeholder says. */
function NumberField<Auto extends boolean = false>(props: {
  id: string;
  label: string;
  value: Auto extends true ? number | undefined : number;
  auto?: Auto;
  step?: string;
  onChange: (v: Auto extends true ? number | undefined : number) => void;
}) {
  type Value = Parameters<typeof props.onChange>[0];
  return (
    <>
      <label for={props.id}>{props.label}</label>
      <input
        id={props.id}
        type="number"
        step={props.step ?? '1'}
        placeholder={props.auto ? 'auto' : undefined}
        value={props.value ?? ''}
        onInput={(event) => {
          const text = event.currentTarget.value;
          props.onChange((props.auto && text === '' ? undefined : Number(text)) as Value);
        }}
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
    epochs: undefined,
    batchSize: undefined,
    learningRate: undefined,
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
      {AUTO_FIELDS.map(([key, id, label, step]) => (
        <NumberField
          auto
          key={key}
          id={id}
          label={label}
          step={step}
          value={s[key]}
          onChange={(value) => set({ [key]: value })}
        />
      ))}
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
