/** `finetuned models list|show|download`. */
import type { Command } from 'commander';
import fs from 'node:fs/promises';
import path from 'node:path';
import { unwrap, type FinetunedClient, type Model } from '../client/index.js';
import { contextOf } from './context.js';
import { failure } from './errors.js';
import { integer } from './option-parsers.js';
import { formatNumber, table } from './output.js';

// Teachable Machine's metadata, served for image models only (404 file_not_found for others).
const METADATA_FILE = 'metadata.json';

export function describeModel(model: Model): string[] {
  const metrics = Object.entries(model.metrics ?? {})
    .map(([name, value]) => `${name} ${formatNumber(value)}`)
    .join(', ');
  return [
    `${model.id}  ${model.name}`,
    `  ${model.source}, ${model.format}, input [${model.inputShape.join(', ')}]`,
    `  labels: ${model.labels?.join(', ') ?? '(none)'}`,
    ...(metrics ? [`  metrics: ${metrics}`] : []),
    ...(model.lineage?.jobId ? [`  trained by ${model.lineage.jobId} on ${model.lineage.datasetId}`] : []),
    `  files: ${model.files.join(', ')} (${model.sizeBytes} bytes), created ${model.createdAt}`,
  ];
}

interface Downloaded {
  id: string;
  dir: string;
  files: Array<{ name: string; bytes: number }>;
}

/** One of the model's files, or undefined when the API has no such file for it. */
async function modelFile(client: FinetunedClient, id: string, file: string): Promise<Uint8Array | undefined> {
  const result = await client.GET('/v1/models/{id}/{file}', {
    params: { path: { id, file } },
    parseAs: 'arrayBuffer',
  });
  if (result.response.status === 404 && file === METADATA_FILE) return undefined;
  return new Uint8Array(await unwrap(Promise.resolve(result)));
}

/**
 * Writes the model's files (model.json and its weights, by the model's id so that an alias moving meanwhile
 * cannot mix two models) and, for an image model, metadata.json into `dir`: what `tf.loadLayersModel` of
 * `file://<dir>/model.json` reads.
 */
export async function downloadModel(client: FinetunedClient, ref: string, dir?: string): Promise<Downloaded> {
  const model = await unwrap(client.GET('/v1/models/{id}', { params: { path: { id: ref } } }));
  const target = dir ?? model.id;
  await fs.mkdir(target, { recursive: true });
  const files: Downloaded['files'] = [];
  const names = model.files.includes(METADATA_FILE) ? model.files : [...model.files, METADATA_FILE];
  for (const name of names) {
    // A file name from the API lands only inside the folder asked for.
    if (path.basename(name) !== name || name === '..' || name === '.')
      throw failure(`model ${model.id} names a file '${name}' that is not a plain file name`);
    const data = await modelFile(client, model.id, name);
    if (!data) continue;
    await fs.writeFile(path.join(target, name), data);
    files.push({ name, bytes: data.byteLength });
  }
  return { id: model.id, dir: target, files };
}

function registerReads(models: Command): void {
  models
    .command('list')
    .description('list models, newest first')
    .option('--limit <n>', 'how many', integer, 20)
    .option('--cursor <cursor>', 'the next page, from the previous one')
    .action(async (options: { limit: number; cursor?: string }, command: Command) => {
      const { client, output } = await contextOf(command);
      const page = await unwrap(client.GET('/v1/models', { params: { query: options } }));
      output.result(page, () => [
        ...table(
          ['ID', 'SOURCE', 'FORMAT', 'INPUT', 'LABELS', 'NAME'],
          page.items.map((m) => [
            m.id,
            m.source,
            m.format,
            `[${m.inputShape.join(',')}]`,
            String(m.labels?.length ?? '-'),
            m.name,
          ]),
        ),
        ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
      ]);
    });

  models
    .command('show')
    .description('a model, by its id or an alias')
    .argument('<id>', 'the model id or an alias')
    .action(async (id: string, _options: object, command: Command) => {
      const { client, output } = await contextOf(command);
      const model = await unwrap(client.GET('/v1/models/{id}', { params: { path: { id } } }));
      output.result(model, () => describeModel(model));
    });
}

function registerDownload(models: Command): void {
  models
    .command('download')
    .description("write a model's files into a folder, for tf.loadLayersModel('file://DIR/model.json')")
    .argument('<id>', 'the model id or an alias')
    .argument('[dir]', 'the folder to write into (default: ./<model id>)')
    .action(async (id: string, dir: string | undefined, _options: object, command: Command) => {
      const { client, output } = await contextOf(command);
      const downloaded = await downloadModel(client, id, dir);
      output.result(downloaded, () => [
        `downloaded ${downloaded.id} to ${downloaded.dir}: ` +
          downloaded.files.map((file) => `${file.name} (${file.bytes} bytes)`).join(', '),
        `load it with tf.loadLayersModel('file://${path.resolve(downloaded.dir, 'model.json')}')`,
      ]);
    });
}

export function registerModels(program: Command): void {
  const models = program.command('models').description('list, read and download models');
  registerReads(models);
  registerDownload(models);
}
