/** `finetuned jobs create|list|show|watch|logs|cancel|pause|resume`. */
import { Option, type Command } from 'commander';
import { unwrap, type Job, type JobEvent } from '../client/index.js';
import { contextOf, type CommandContext } from './context.js';
import { failure } from './errors.js';
import { describeJob, eventText, outcomeText } from './job-lines.js';
import { addJobOptions } from './job-options.js';
import { jobRequestOf, type JobFlags } from './job-request.js';
import { integer } from './option-parsers.js';
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
  const create = jobs
    .command('create')
    .description('submit a training job (flags over --spec FILE), and with --watch follow it to its end')
    .option('--spec <file>', 'a full job spec as JSON (- for stdin); the flags below override its fields');
  addJobOptions(create)
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
