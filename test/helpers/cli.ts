import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/finetuned.js', import.meta.url));

/** What a run of the CLI printed, and its exit code once it has exited. */
export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/**
 * The real `finetuned` command (`node bin/finetuned.js`, this Node) in `cwd`, with `env()` on top of this
 * process's environment (less the test runner's marker) and `extra` on top of that.
 */
export function cliRunner(cwd: () => string, env: () => Record<string, string>) {
  const start = (args: string[], extra: Record<string, string> = {}) => {
    const inherited = { ...process.env };
    delete inherited.NODE_TEST_CONTEXT;
    const child: ChildProcess = spawn(process.execPath, [BIN, ...args], {
      cwd: cwd(),
      env: { ...inherited, ...env(), ...extra },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const run: CliRun = { code: null, stdout: '', stderr: '' };
    child.stdout!.on('data', (chunk: Buffer) => (run.stdout += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (run.stderr += chunk.toString()));
    const done = once(child, 'close').then(([code]) => ({ ...run, code: code as number | null }));
    return { child, run, done };
  };
  return {
    /** A run still going: its child, what it printed so far, and its end. */
    start,
    /** A whole run. */
    cli: (args: string[], extra: Record<string, string> = {}): Promise<CliRun> => start(args, extra).done,
  };
}

/** The JSON a successful run printed on stdout. */
export function jsonOf<T>(run: CliRun): T {
  assert.equal(run.code, 0, `exit ${run.code}\n${run.stderr}${run.stdout}`);
  return JSON.parse(run.stdout) as T;
}

/** A failed run: nothing on stdout, and one line on stderr, with no stack frames, matching `pattern`. */
export function assertOneLine(run: CliRun, pattern: RegExp): void {
  assert.equal(run.stdout, '', run.stdout);
  const lines = run.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, run.stderr);
  assert.doesNotMatch(run.stderr, /^\s+at /m);
  assert.match(lines[0]!, pattern);
}
