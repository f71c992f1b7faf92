/** `finetuned sweeps create|list|get|watch|cancel`: hyperparameter sweeps, a training job per trial. */
import { Option, type Command } from 'commander';
import { unwrap } from '../client/index.js';
import { contextOf, type CommandContext } from './context.js';
import { failure } from './errors.js';
import { addJobOptions } from './job-options.js';
import { integer } from './option-parsers.js';
import { table } from './output.js';
import { describeSweep, outcomeText, sweepRow } from './sweep-lines.js';
import { NOT_SWEEP_JOB_FLAGS, sweepRequestOf, type SweepFlags, type SweepRequest } from './sweep-request.js';
import { readSweep, watchSweep } from './sweep-watch.js';

const SWEEP_METRICS = ['val_accuracy', 'val_loss', 'val_r2', 'val_mae', 'val_rmse'] satisfies Array<
  NonNullable<SweepRequest['metric']>
>;

/** Prints the watched sweep's end and its trials; a sweep that did not succeed is a failure (exit 1). */
async function reportWatched(context: CommandContext, id: string): Promise<void> {
  const { output } = context;
  const { sweep, detached } = await watchSweep(context, id);
  if (detached) {
    output.result(sweep, () => [
      `detached from sweep ${id} (${sweep.status}): \`finetuned sweeps watch ${id}\` follows it again, ` +
        `\`finetuned sweeps cancel ${id}\` stops it`,
    ]);
    return;
  }
  // The trials are worth seeing however it ended; one that did not succeed is told on stderr, as failures are.
  output.result(sweep, () => describeSweep(sweep));
  if (sweep.status !== 'succeeded') throw failure(outcomeText(sweep));
}

function registerCreate(sweeps: Command): void {
  const create = sweeps
    .command('create')
    .description('start a sweep: a job (flags as `jobs create`) tried with each setting of --space')
    .option('--file <file>', 'a whole sweep request as JSON (- for stdin); the flags override its fields')
    .option('--space <json>', 'the settings to vary, as JSON: {"learningRate":{"values":[0.001,0.01]}, ...}')
    .addOption(new Option('--method <method>', 'random (default) or grid').choices(['grid', 'random']))
    .option('--trials <n>', 'how many trials (random default 10; a grid runs all its combinations)', integer)
    .option('--parallel <n>', 'trials running at once (default 2)', integer)
    .addOption(new Option('--metric <metric>', 'what picks the best trial').choices(SWEEP_METRICS))
    .option('--alias <name>', "move this alias to the best trial's model when the sweep succeeds")
    .option('--seed <n>', "seeds the sweep's draws and every trial's training", integer)
    .option('--no-early-stopping', 'run every trial its course (default: the median rule stops laggards)')
    .option('--name <name>', "the sweep's name");
  addJobOptions(create, [...NOT_SWEEP_JOB_FLAGS, 'seed'])
    .option('--watch', 'follow the sweep to its end, a line per trial, then print its trials')
    .action(async (options: SweepFlags & { watch?: boolean }, command: Command) => {
      const { watch, ...flags } = options;
      const context = await contextOf(command);
      const body = await sweepRequestOf(flags);
      const sweep = await unwrap(context.client.POST('/v1/sweeps', { body }));
      if (watch) {
        context.output.note(`submitted sweep ${sweep.id}: ${sweep.trials.length} trials`);
        return reportWatched(context, sweep.id);
      }
      context.output.result(sweep, () => [
        `submitted sweep ${sweep.id} (${sweep.status}, ${sweep.trials.length} trials, ${sweep.parallel} at a time)`,
        `follow it with \`finetuned sweeps watch ${sweep.id}\``,
      ]);
    });
}

function registerReads(sweeps: Command): void {
  sweeps
    .command('list')
    .description('list sweeps, newest first')
    .option('--limit <n>', 'how many', integer, 20)
    .option('--cursor <cursor>', 'the next page, from the previous one')
    .action(async (options: { limit: number; cursor?: string }, command: Command) => {
      const { client, output } = await contextOf(command);
      const page = await unwrap(client.GET('/v1/sweeps', { params: { query: options } }));
      output.result(page, () => [
        ...table(['ID', 'STATUS', 'METHOD', 'ENDED', 'BEST', 'METRIC', 'NAME'], page.items.map(sweepRow)),
        ...(page.nextCursor ? [`more: --cursor ${page.nextCursor}`] : []),
      ]);
    });

  sweeps
    .command('get')
    .alias('show')
    .description('a sweep: its settings, its trials and the best of them')
    .argument('<id>', 'the sweep id')
    .action(async (id: string, _options: object, command: Command) => {
      const context = await contextOf(command);
      const sweep = await readSweep(context, id);
      context.output.result(sweep, () => describeSweep(sweep));
    });

  sweeps
    .command('watch')
    .description('follow a sweep to its end, a line per trial (Ctrl-C detaches)')
    .argument('<id>', 'the sweep id')
    .action(async (id: string, _options: object, command: Command) =>
      reportWatched(await contextOf(command), id),
    );
}

function registerCancel(sweeps: Command): void {
  sweeps
    .command('cancel')
    .description('cancel a sweep: no trial starts any more, and its unfinished trials are cancelled')
    .argument('<id>', 'the sweep id')
    .action(async (id: string, _options: object, command: Command) => {
      const { client, output } = await contextOf(command);
      const sweep = await unwrap(client.POST('/v1/sweeps/{id}/cancel', { params: { path: { id } } }));
      output.result(
        sweep,
        () =>
          `sweep ${sweep.id}: ${sweep.status}${sweep.status === 'cancelled' ? '' : ' (cancel under way)'}`,
      );
    });
}

export function registerSweeps(program: Command): void {
  const sweeps = program.command('sweeps').description('search hyperparameters: a training job per trial');
  registerCreate(sweeps);
  registerReads(sweeps);
  registerCancel(sweeps);
}
