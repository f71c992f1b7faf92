import type { Evaluation, ModelRecord, RegressionEvaluation } from '../api-types.js';
import { ConfusionMatrix } from '../components/confusion-matrix.js';
import { formatNumber, formatPercent } from '../format.js';

const f1 = (precision: number, recall: number) =>
  precision + recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);

const isRegression = (
  evaluation: NonNullable<ModelRecord['evaluation']>,
): evaluation is RegressionEvaluation => 'task' in evaluation && evaluation.task === 'regression';

function PerClass({ evaluation }: { evaluation: Evaluation }) {
  return (
    <div class="table-scroll">
      <table class="per-class">
        <thead>
          <tr>
            <th scope="col">Class</th>
            <th scope="col">Precision</th>
            <th scope="col">Recall</th>
            <th scope="col">F1</th>
            <th scope="col">Support</th>
          </tr>
        </thead>
        <tbody>
          {evaluation.perClass.map((c) => (
            <tr key={c.label}>
              <th scope="row">{c.label}</th>
              <td>{formatPercent(c.precision)}</td>
              <td>{formatPercent(c.recall)}</td>
              <td>{formatPercent(f1(c.precision, c.recall))}</td>
              <td>{c.support}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function RegressionScores({ evaluation }: { evaluation: RegressionEvaluation }) {
  return (
    <dl class="facts">
      <dt>Rows</dt>
      <dd>
        {evaluation.rows} {evaluation.split} rows
      </dd>
      <dt>Mean absolute error</dt>
      <dd>{formatNumber(evaluation.mae)}</dd>
      <dt>Root mean squared error</dt>
      <dd>{formatNumber(evaluation.rmse)}</dd>
      <dt>R²</dt>
      <dd>{formatNumber(evaluation.r2)}</dd>
      <dt>Targets</dt>
      <dd>
        mean {formatNumber(evaluation.target.mean)}, standard deviation {formatNumber(evaluation.target.std)}
      </dd>
    </dl>
  );
}

/**
 * How the model did on its evaluation rows: a classifier's accuracy, confusion matrix and each class's scores
 * (with the classes it rarely finds), or a regression's errors.
 */
export function ModelEvaluation({ evaluation }: { evaluation: ModelRecord['evaluation'] }) {
  if (!evaluation) return <p class="muted">This model has no evaluation (it was not trained here).</p>;
  if (isRegression(evaluation)) return <RegressionScores evaluation={evaluation} />;
  const labels = evaluation.perClass.map((c) => c.label);
  return (
    <>
      <p>
        Accuracy <strong>{formatPercent(evaluation.accuracy)}</strong> on {evaluation.rows} {evaluation.split}{' '}
        rows.
      </p>
      {evaluation.lowRecall && evaluation.lowRecall.length > 0 && (
        <p class="problem-hint">
          Rarely found:{' '}
          {evaluation.lowRecall.map((c) => `${c.label} (recall ${formatPercent(c.recall)})`).join(', ')}. More
          rows of these classes, or a class weight, may help.
        </p>
      )}
      <h3>Confusion matrix</h3>
      <ConfusionMatrix labels={labels} matrix={evaluation.confusionMatrix} />
      <h3>Per class</h3>
      <PerClass evaluation={evaluation} />
    </>
  );
}
