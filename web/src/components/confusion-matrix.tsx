import type { Evaluation } from '../api-types.js';

const LEVELS = 10;

/** The heat class of a cell: its share of the true class's rows, in ten steps (`heat-0` … `heat-10`). */
const heat = (count: number, rowTotal: number) =>
  `heat-${rowTotal === 0 ? 0 : Math.round((count / rowTotal) * LEVELS)}`;

/**
 * The confusion matrix as a heatmap: rows are the true labels, columns the predicted ones, each cell shaded by
 * its share of its row (so a class's recall is its diagonal's shade whatever its size), its count written in it.
 */
export function ConfusionMatrix({
  labels,
  matrix,
}: {
  labels: string[];
  matrix: Evaluation['confusionMatrix'];
}) {
  const totals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  return (
    <div class="table-scroll">
      <table class="confusion" aria-label="Confusion matrix: rows are true labels, columns predicted labels">
        <thead>
          <tr>
            <th scope="col" class="corner">
              true \ predicted
            </th>
            {labels.map((label) => (
              <th scope="col" key={label}>
                {label}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {matrix.map((row, i) => (
            <tr key={labels[i]}>
              <th scope="row">{labels[i]}</th>
              {row.map((count, j) => (
                <td
                  key={labels[j]}
                  class={`${heat(count, totals[i] ?? 0)}${i === j ? ' diagonal' : ''}`}
                  title={`true ${labels[i]}, predicted ${labels[j]}: ${count} of ${totals[i]}`}
                >
                  {count}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
