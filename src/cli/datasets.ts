/** `finetuned datasets upload|list|show`. */
import { Option, type Command } from 'commander';
import { unwrap, type Dataset, type DatasetUploadQuery } from '../client/index.js';
import { contextOf } from './context.js';
import { datasetBody } from './dataset-body.js';
import { integer } from './option-parsers.js';
import { table } from './output.js';

interface UploadOptions {
  name?: string;
  labelColumn?: string;
  columns?: string;
  columnsFrom?: string;
  size?: string;
  channels?: 1 | 3;
  fit?: 'cover' | 'contain';
}

interface PageOptions {
  limit: number;
  cursor?: string;
}

/** The lines `datasets show` prints. */
export function describeDataset(dataset: Dataset): string[] {
  const counts = Object.entries(dataset.labelCounts).map(([label, count]) => `${label} (${count})`);
  return [
    `${dataset.id}  ${dataset.name}`,
    `  ${dataset.kind}, ${dataset.format}: ${dataset.rows} rows of [${dataset.featureShape.join(', ')}]`,
    dataset.target
      ? `  numeric labels ${dataset.target.min} to ${dataset.target.max} (mean ${dataset.target.mean.toFixed(3)}): a regression can learn them`
      : '',
    counts.length > 0 ? `  labels: ${counts.join(', ')}` : '',
    ...(dataset.columns
      ? [
          `  columns: ${dataset.columns.map((c) => `${c.name} (${c.kind}${c.missing ? `, ${c.missing} missing` : ''})`).join(', ')}`,
        ]
      : []),
    ...(dataset.skipped ? [`  skipped: ${dataset.skipped.count} entries`] : []),
    `  sha256 ${dataset.sha256}, ${dataset.sizeBytes} bytes, created ${dataset.createdAt}`,
  ].filter((line) => line !== '');
}

function registerUpload(datasets: Command): void {
  datasets
    .command('upload')
    .description(
      'upload a dataset: a CSV, NDJSON or JSON file, an image archive, or a folder of class folders',
    )
    .argument(
      '<path>',
      'a .csv, .ndjson, .json, .zip, .tar or .tar.gz file, or a folder with one folder per class',
    )
    .option('--name <name>', "the dataset's name (default: the file's or folder's)")
    .option('--label-column <column>', 'CSV: the column holding the label (default: label)')
    .option(
      '--columns <kinds>',
      'CSV: kinds of some columns, name:numeric or name:categorical, comma-separated',
    )
    .option('--columns-from <dataset>', "CSV: encode the columns as that dataset's are (a validation set)")
    .option('--size <WxH>', 'images: resize every image to WxH')
    .addOption(new Option('--channels <n>', 'images: 1 (grayscale) or 3 (RGB)').choices(['1', '3']))
    .addOption(
      new Option('--fit <fit>', 'images, with --size: crop or letterbox').choices(['cover', 'contain']),
    )
    .action(async (target: string, options: UploadOptions, command: Command) => {
      const { client, output } = await contextOf(command);
      const { body, contentType, name, description } = await datasetBody(target);
      const query: DatasetUploadQuery = {
        name: options.name ?? name,
        labelColumn: options.labelColumn,
        columns: options.columns,
        columnsFrom: options.columnsFrom,
        size: options.size,
        channels: options.channels === undefined ? undefined : (Number(options.channels) as 1 | 3),
        fit: options.fit,
      };
      output.note(`uploading ${description} as ${contentType}`);
      const dataset = await unwrap(client.uploadDataset(body, { contentType, query }));
      output.result(dataset, () => describeDataset(dataset));
    });
}

function registerReads(datasets: Command): void {
  datasets
    .command('list')
    .description('list datasets, newest first')
    .option('--limit <n>', 'how many', integer, 20)
    .option('--cursor <cursor>', 'the next page, from the previous one')
    .action(async (options: PageOptions, command: Command) => {
      const { client, output } = await contextOf(command);
      const page = await unwrap(
        client.GET('/v1/datasets', { params: { query: { limit: options.limit, cursor: options.cursor } } }),
      );
      output.result(page, () => [
        ...table(
          ['ID', 'NAME', 'KIND', 'ROWS', 'LABELS', 'CREATED'],
          page.items.map((d) => [d.id, d.name, d.kind, String(d.rows), String(d.labels.length), d.createdAt]),
        ),
        ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
      ]);
    });

  datasets
    .command('show')
    .description('a dataset')
    .argument('<id>', 'the dataset id')
    .action(async (id: string, _options: object, command: Command) => {
      const { client, output } = await contextOf(command);
      const dataset = await unwrap(client.GET('/v1/datasets/{id}', { params: { path: { id } } }));
      output.result(dataset, () => describeDataset(dataset));
    });
}

export function registerDatasets(program: Command): void {
  const datasets = program.command('datasets').description('upload, list and read datasets');
  registerUpload(datasets);
  registerReads(datasets);
}
