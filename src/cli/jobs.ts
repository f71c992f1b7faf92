/** `finetuned jobs create|list|show|watch|logs|cancel|pause|resume`. */
import { Option, type Command } from 'commander';
import { unwrap, type Job, type JobEvent } from '../client/index.js';
import { contextOf, type CommandContext } from './context.js';
import { failure } from './errors.js';
import { describeJob, eventText, outcomeText } from './job-lines.js';
import { jobRequestOf, type JobFlags } from './job-request.js';
import { integer, integers, keyValue, number } from './option-parsers.js';
import { formatNumber, table } from './output.js';
import { watchJob } from './watch.js';

interface CreateOptions extends JobFlags {
  watch?: boolean;
  idempotencyKey?: string;
}

/** Prints how the watched job ended; a job that did not succeed is a failure (exit 1). */
async function reportWatched(context: CommandContext, id: string): Promise<void> {
  const { output } = context;
  const { job, detached } = await watchJob(context, id);
  if (detached) {
    output.result(
      job,
      () => `detached from job ${id} (${job.status}): \`finetuned jobs watch ${id}\` follows it again`,
    );
    return;
  }
  if (job.status === 'succeeded') return output.result(job, () => outcomeText(job));
  // A job that did not succeed is told on stderr, as failures are; scripts still get the job on stdout.
  if (output.json) output.result(job, () => []);
  throw failure(outcomeText(job));
}

function registerCreate(jobs: Command): void {
  jobs
    .command('create')
    .description('submit a training job (flags over --spec FILE), and with --watch follow it to its end')
    .option('--spec <file>', 'a full job spec as JSON (- for stdin); the flags below override its fields')
    .option('--dataset <id>', 'the training dataset')
    .option('--name <name>', "the job's name")
    .option('--base-model <id>', 'transfer from this model (an id or an alias)')
    .addOption(
      new Option('--architecture <type>', 'train from scratch (default: mlp)').choices(['mlp', 'cnn']),
    )
    .option('--hidden-units <n,...>', 'dense layers: of the MLP, or of the head on a base model', integers)
    .option('--dropout <rate>', 'dropout of the MLP, CNN or head', number)
    .option('--input-shape <h,w,c>', 'CNN: the input shape', integers)
    .option('--filters <n,...>', 'CNN: filters per conv block', integers)
    .option('--kernel-size <n>', 'CNN: the kernel size', integer)
    .option('--dense-units <n>', "CNN: the dense layer's units", integer)
    .option('--cut-layer <name>', 'base model: the layer to cut at')
    .option('--freeze <all|none|n>', 'base model: all, none, or the number of top layers left trainable')
    .addOption(
      new Option('--task <task>', 'classification (default) or regression (a numeric label)').choices([
        'classification',
        'regression',
      ]),
    )
    .addOption(new Option('--loss <loss>', 'regression: mse (default) or huber').choices(['mse', 'huber']))
    .option('--epochs <n>', 'epochs (default: chosen from the dataset, with early stopping)', integer)
    .option('--batch-size <n>', 'batch size (default: chosen from the dataset)', integer)
    .option('--learning-rate <rate>', "Adam's learning rate (default: chosen for the job)", number)
    .option('--fine-tune-epochs <n>', 'base model: epochs of fine-tuning after the head', integer)
    .option('--early-stopping <patience>', 'stop after this many epochs without improvement', integer)
    .option('--validation-split <fraction>', 'hold-out fraction, 0 to 0.5 (default 0.2)', number)
    .option('--validation-dataset <id>', 'validate on this dataset instead')
    .addOption(new Option('--class-weight <weights>', 'weigh classes by their size').choices(['balanced']))
    .option('--seed <n>', 'seed for reproducible runs', integer)
    .option('--metadata <key=value>', 'kept with the job (repeatable)', keyValue)
    .option('--idempotency-key <key>', 'the same key and spec give the same job')
    .option('--watch', 'follow the job to its end with a progress bar')
    .action(async (options: CreateOptions, command: Command) => {
      const context = await contextOf(command);
      const body = await jobRequestOf(options);
      const headers = options.idempotencyKey ? { 'idempotency-key': options.idempotencyKey } : undefined;
      const job = await unwrap(context.client.POST('/v1/jobs', { body, params: { header: headers } }));
      if (options.watch) {
        context.output.note(`submitted job ${job.id}`);
        return reportWatched(context, job.id);
      }
      context.output.result(job, () => [
        `submitted job ${job.id} (${job.status}${job.queuePosition ? `, position ${job.queuePosition}` : ''})`,
        `follow it with \`finetuned jobs watch ${job.id}\``,
      ]);
    });
}

function jobRow(job: Job): string[] {
  const progress = job.progress ? `${job.progress.epoch}/${job.progress.epochs}` : `${job.history.length}`;
  return [
    job.id,
    job.status,
    progress,
    formatNumber(job.metrics.val_accuracy ?? job.metrics.accuracy),
    job.modelId ?? '-',
    job.name,
  ];
}

function registerReads(jobs: Command): void {
  jobs
    .command('list')
    .description('list jobs, newest first')
    .addOption(
      new Option('--status <status>', 'only jobs in this status').choices([
        'queued',
        'running',
        'retrying',
        'paused',
        'succeeded',
        'failed',
        'cancelled',
      ]),
    )
    .option('--limit <n>', 'how many', integer, 20)
    .option('--cursor <cursor>', 'the next page, from the previous one')
    .action(async (options: { status?: Job['status']; limit: number; cursor?: string }, command: Command) => {
      const { client, output } = await contextOf(command);
      const page = await unwrap(client.GET('/v1/jobs', { params: { query: options } }));
      output.result(page, () => [
        ...table(['ID', 'STATUS', 'EPOCH', 'ACCURACY', 'MODEL', 'NAME'], page.items.map(jobRow)),
        ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
      ]);
    });

  jobs
    .command('show')
    .description('a job')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: object, command: Command) => {
      const { client, output } = await contextOf(command);
      const job = await unwrap(client.GET('/v1/jobs/{id}', { params: { path: { id } } }));
      output.result(job, () => describeJob(job));
    });

  jobs
    .command('watch')
    .description('follow a job to its end with a progress bar (Ctrl-C: cancel or detach)')
    .argument('<id>', 'the job id')
    .action(async (id: string, _options: object, command: Command) =>
      reportWatched(await contextOf(command), id),
    );
}

/** Every event after `after`, a page at a time, as the JSON form of the events route gives them. */
async function printLogPages(context: CommandContext, id: string, show: (event: JobEvent) => void) {
  let after = '0';
  for (;;) {
    const page = await unwrap(
      context.client.GET('/v1/jobs/{id}/events', {
        params: { path: { id }, query: { after, limit: 1000 } },
        headers: { accept: 'application/json' },
      }),
    );
    page.items.forEach(show);
    const last = page.items.at(-1);
    if (!last || page.ended) return;
    after = last.id;
  }
}

function registerLogs(jobs: Command): void {
  jobs
    .command('logs')
    .description("a job's events: status changes, epochs, log lines, checkpoints")
    .argument('<id>', 'the job id')
    .option('-f, --follow', 'keep following them until the job ends')
    .option('--progress', 'include progress events (up to two a second)')
    .action(async (id: string, options: { follow?: boolean; progress?: boolean }, command: Command) => {
      const context = await contextOf(command);
      const show = (event: JobEvent) => {
        if (event.type === 'progress' && !options.progress) return;
        context.output.item(event, () => `${event.at}  ${eventText(event)}`);
      };
      if (!options.follow) return printLogPages(context, id, show);
      for await (const event of context.client.jobEvents(id)) show(event);
    });
}

function registerActions(jobs: Command): void {
  const actions = [
    ['cancel', 'cancel a job: a queued one at once, a running one within a batch'],
    ['pause', 'pause a job at its next batch, with a checkpoint, freeing its worker'],
    ['resume', 'queue a paused job again'],
  ] as const;
  for (const [action, description] of actions) {
    jobs
      .command(action)
      .description(description)
      .argument('<id>', 'the job id')
      .action(async (id: string, _options: object, command: Command) => {
        const { client, output } = await contextOf(command);
        const job = await unwrap(client.POST(`/v1/jobs/{id}/${action}`, { params: { path: { id } } }));
        output.result(
          job,
          () => `job ${job.id}: ${job.status}${job.cancelRequested ? ' (cancel under way)' : ''}`,
        );
      });
  }
}

export function registerJobs(program: Command): void {
  const jobs = program.command('jobs').description('submit, follow and manage training jobs');
  registerCreate(jobs);
  registerReads(jobs);
  registerLogs(jobs);
  registerActions(jobs);
}
