/** `finetuned predict MODEL FILE|DIR`: top-k predictions for CSV rows or images. */
import { Option, type Command } from 'commander';
import fs from 'node:fs/promises';
import { unwrap, type FinetunedClient, type PredictRequest, type Predictions } from '../client/index.js';
import { contextOf } from './context.js';
import { integer } from './option-parsers.js';
import { formatNumber } from './output.js';
import { predictInputs, type Instance, type PredictInputs } from './predict-inputs.js';

// Requests stay well inside the API's bounds: 1000 rows, 64 images (fewer for large inputs).
const ROWS_PER_REQUEST = 1000;
const IMAGES_PER_REQUEST = 16;

interface PredictOptions {
  topK: number;
  labelColumn?: string;
  fit?: 'cover' | 'contain';
}

type Prediction = Predictions['predictions'][number] & Instance;

/** The request bodies for the inputs, one chunk at a time (images are read as their chunk is sent). */
async function* requests(inputs: PredictInputs, options: PredictOptions): AsyncGenerator<PredictRequest> {
  const { topK, fit } = options;
  if (inputs.kind === 'rows') {
    for (let start = 0; start < inputs.rows.length; start += ROWS_PER_REQUEST)
      yield { instances: inputs.rows.slice(start, start + ROWS_PER_REQUEST), topK };
    return;
  }
  for (let start = 0; start < inputs.files.length; start += IMAGES_PER_REQUEST) {
    const chunk = inputs.files.slice(start, start + IMAGES_PER_REQUEST);
    const images = await Promise.all(chunk.map(async (file) => (await fs.readFile(file)).toString('base64')));
    yield { images, topK, ...(fit ? { fit } : {}) };
  }
}

/** Every input's prediction, in input order, and the id of the model that answered. */
async function predictAll(
  client: FinetunedClient,
  model: string,
  inputs: PredictInputs,
  options: PredictOptions,
): Promise<{ modelId: string; predictions: Prediction[] }> {
  const predictions: Prediction[] = [];
  let modelId = model;
  for await (const body of requests(inputs, options)) {
    const answer = await unwrap(
      client.POST('/v1/models/{idOrAlias}/predict', { params: { path: { idOrAlias: model } }, body }),
    );
    modelId = answer.modelId;
    for (const prediction of answer.predictions)
      predictions.push({ ...inputs.instances[predictions.length]!, ...prediction });
  }
  return { modelId, predictions };
}

function predictionLines(modelId: string, predictions: Prediction[]): string[] {
  const lines = predictions.map((p) => {
    const shown =
      'value' in p
        ? formatNumber(p.value)
        : p.top.map((entry) => `${entry.label} ${formatNumber(entry.score)}`).join('  ');
    const expected = p.expected === undefined ? '' : `   (label ${p.expected})`;
    return `${p.input}: ${shown}${expected}`;
  });
  // A regression's values are compared by eye; a classification's labels are counted.
  const labelled = predictions.filter((p) => p.expected !== undefined && 'label' in p);
  if (labelled.length > 0) {
    const right = labelled.filter((p) => 'label' in p && p.label === p.expected).length;
    lines.push(`${right} of ${labelled.length} match their label (model ${modelId})`);
  }
  return lines;
}

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict with a model: the rows of a CSV file, an image, or a folder of images')
    .argument('<model>', 'the model id or an alias')
    .argument('<path>', 'a .csv file of rows, an image file, or a folder of images')
    .option('--top-k <n>', 'labels shown per instance', integer, 3)
    .option('--label-column <column>', "CSV: a column to leave out (default: a column named 'label')")
    .addOption(
      new Option('--fit <fit>', 'images: crop to cover the input, or letterbox').choices([
        'cover',
        'contain',
      ]),
    )
    .action(async (model: string, target: string, options: PredictOptions, command: Command) => {
      const { client, output } = await contextOf(command);
      // A model trained on a CSV's columns takes rows by column name, text and blanks included.
      const record = await unwrap(client.GET('/v1/models/{id}', { params: { path: { id: model } } }));
      const inputs = await predictInputs(target, options.labelColumn, record.columns !== undefined);
      const result = await predictAll(client, model, inputs, options);
      output.result(result, () => predictionLines(result.modelId, result.predictions));
    });
}
