/**
 * The `finetuned` command (bin/finetuned.js runs this through tsx): commander's program with one module per
 * command group. Whatever goes wrong ends as one line on stderr and an exit code (see errors.ts): 0 success, 1
 * a failure, 2 bad input.
 */
import { Command, CommanderError } from 'commander';
import { readFileSync } from 'node:fs';
import { registerDatasets } from './datasets.js';
import { EXIT, explain } from './errors.js';
import { registerJobs } from './jobs.js';
import { registerLogin } from './login.js';
import { registerModels } from './models.js';
import { registerPredict } from './predict.js';
import { registerSweeps } from './sweeps.js';

/** The package's version: package.json is two folders up from source, three from a build in dist/. */
function packageVersion(): string {
  for (const relative of ['../../package.json', '../../../package.json']) {
    try {
      const text = readFileSync(new URL(relative, import.meta.url), 'utf8');
      return (JSON.parse(text) as { version: string }).version;
    } catch {
      // Not there: the next place.
    }
  }
  return 'unknown';
}

/** The program, every command registered. */
export function buildProgram(): Command {
  const program = new Command('finetuned')
    .description('Fine-tune models on a finetuned service: upload datasets, train, follow jobs, predict.')
    .version(packageVersion())
    .option('--url <url>', 'the API (default: FINETUNED_URL, the stored login, http://127.0.0.1:8080)')
    .option('--api-key <key>', 'the API key (default: FINETUNED_API_KEY, the stored login)')
    .option('--json', 'print results as JSON on stdout, for scripts')
    // Usage errors are thrown rather than exiting, so that they exit 2 like other bad input.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text.replace(/^error: /, 'finetuned: ')) });
  registerLogin(program);
  registerDatasets(program);
  registerJobs(program);
  registerModels(program);
  registerPredict(program);
  registerSweeps(program);
  return program;
}

/** Runs the command line; resolves to the exit code. */
export async function main(argv: string[] = process.argv): Promise<number> {
  try {
    await buildProgram().parseAsync(argv);
    return EXIT.ok;
  } catch (error) {
    // Commander has printed its own message (or the help, or the version) already.
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT.ok : EXIT.badInput;
    const { message, exitCode } = explain(error);
    process.stderr.write(`finetuned: ${message}\n`);
    return exitCode;
  }
}

// Output piped into a reader that stopped (`| head`): nothing more to say, and nothing wrong.
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE') process.exit(EXIT.ok);
  throw error;
});
process.exitCode = await main();
