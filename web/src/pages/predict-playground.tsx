import { useEffect, useState } from 'preact/hooks';
import type { TargetedDragEvent, TargetedSubmitEvent } from 'preact';
import { useApi } from '../api.js';
import type { ModelRecord, Predictions } from '../api-types.js';
import { ProblemBox } from '../components/problem-box.js';
import { formatNumber, formatPercent } from '../format.js';
import { ApiProblem, asProblem } from '../problem.js';
import { dataUrlOf, parseRows, takesImages } from './predict-input.js';

function TopK({ predictions }: { predictions: Predictions['predictions'] }) {
  return (
    <ol class="predictions" aria-label="Predictions">
      {predictions.map((prediction, i) => (
        <li key={i}>
          <span class="muted">#{i + 1}</span>
          {'value' in prediction ? (
            <span class="top-label">{formatNumber(prediction.value, 6)}</span>
          ) : (
            <ol class="top-k">
              {prediction.top.map(({ label, score }) => (
                <li key={label}>
                  <span class="top-label">{label}</span>
                  <meter min={0} max={1} value={score} aria-label={`${label}: ${formatPercent(score)}`} />
                  <span class="top-score">{formatPercent(score)}</span>
                </li>
              ))}
            </ol>
          )}
        </li>
      ))}
    </ol>
  );
}

/** The first few column names, and how many there are in all. */
const columnList = (names: string[]) =>
  names.length > 8 ? `${names.slice(0, 8).join(', ')}, … ${names.length} in all` : names.join(', ');

/** An image to predict on: picked with the file input (keyboard) or dropped on it, previewed. */
function ImageDrop({ onImage }: { onImage: (file: File) => void }) {
  const [preview, setPreview] = useState<string | undefined>(undefined);
  useEffect(() => () => preview && URL.revokeObjectURL(preview), [preview]);
  const take = (file: File | undefined) => {
    if (!file) return;
    setPreview(URL.createObjectURL(file));
    onImage(file);
  };
  return (
    <label
      class="drop"
      onDragOver={(event) => event.preventDefault()}
      onDrop={(event: TargetedDragEvent<HTMLLabelElement>) => {
        event.preventDefault();
        take(event.dataTransfer?.files[0]);
      }}
    >
      {preview ? <img src={preview} alt="The image to predict on" /> : 'Drop an image here, or choose one'}
      <input type="file" accept="image/*" onChange={(event) => take(event.currentTarget.files?.[0])} />
    </label>
  );
}

/** Predictions from pasted rows or a dropped image, with the top-k labels and their scores. */
export function PredictPlayground({ model }: { model: ModelRecord }) {
  const api = useApi();
  const [text, setText] = useState('');
  const [topK, setTopK] = useState(3);
  const [image, setImage] = useState<File | undefined>(undefined);
  const [result, setResult] = useState<Predictions | undefined>(undefined);
  const [problem, setProblem] = useState<ApiProblem | undefined>(undefined);
  const [busy, setBusy] = useState(false);

  const predict = async (body: Record<string, unknown>) => {
    setBusy(true);
    setProblem(undefined);
    try {
      setResult(await api.send<Predictions>('POST', `/v1/models/${model.id}/predict`, { ...body, topK }));
    } catch (error) {
      setResult(undefined);
      setProblem(asProblem(error));
    } finally {
      setBusy(false);
    }
  };
  const submitRows = (event: TargetedSubmitEvent<HTMLFormElement>) => {
    event.preventDefault();
    const parsed = parseRows(text, model.columns);
    if ('error' in parsed) {
      setResult(undefined);
      setProblem(new ApiProblem(0, 'Not rows', parsed.error, 'client'));
    } else void predict({ instances: parsed.rows });
  };
  const submitImage = async () => {
    if (image) await predict({ images: [await dataUrlOf(image)] });
  };

  return (
    <div class="playground">
      <form onSubmit={submitRows}>
        <label for="predict-rows">
          Rows: one per line,{' '}
          {model.columns
            ? `values separated by commas (${columnList(model.columns.map((c) => c.name))})`
            : 'numbers separated by commas or spaces'}
          , or JSON
        </label>
        <textarea
          id="predict-rows"
          rows={4}
          value={text}
          onInput={(event) => setText(event.currentTarget.value)}
        />
        <div class="inline-form">
          <label for="predict-topk">Top</label>
          <input
            id="predict-topk"
            type="number"
            min={1}
            max={Math.max(1, model.labels?.length ?? 10)}
            value={topK}
            onInput={(event) => setTopK(Math.max(1, Number(event.currentTarget.value) || 1))}
          />
          <button type="submit" disabled={busy}>
            Predict
          </button>
        </div>
      </form>
      {takesImages(model.inputShape) && (
        <div class="inline-form">
          <ImageDrop onImage={setImage} />
          <button type="button" disabled={busy || !image} onClick={() => void submitImage()}>
            Predict the image
          </button>
        </div>
      )}
      <ProblemBox problem={problem} />
      {result && <TopK predictions={result.predictions} />}
    </div>
  );
}
