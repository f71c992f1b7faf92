/** `finetuned login` and `finetuned logout`: the URL and key kept in the config file for later commands. */
import type { Command } from 'commander';
import readline from 'node:readline/promises';
import { Writable } from 'node:stream';
import { ApiError } from '../client/index.js';
import { removeLogin, writeLogin } from './config-file.js';
import { clientOf, type Connection } from './connection.js';
import { contextOf } from './context.js';
import { badInput } from './errors.js';

/** The key typed on the terminal, not echoed; or the first line of standard input when it is not a terminal. */
async function readKey(): Promise<string> {
  const tty = process.stdin.isTTY;
  if (tty) process.stderr.write('API key: ');
  // Echo goes nowhere: the key is not shown as it is typed.
  const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
  const rl = readline.createInterface({ input: process.stdin, output: muted, terminal: tty });
  try {
    if (tty) return (await rl.question('')).trim();
    for await (const line of rl) return line.trim();
    return '';
  } finally {
    rl.close();
    if (tty) process.stderr.write('\n');
  }
}

/** Refuses a key the API does not know (401); a key without the datasets scope (403) is still a key. */
async function checkKey(connection: Connection): Promise<void> {
  const { response, error } = await clientOf(connection).GET('/v1/datasets', {
    params: { query: { limit: 1 } },
  });
  if (!response.ok && response.status !== 403) throw new ApiError(response, error);
}

export function registerLogin(program: Command): void {
  program
    .command('login')
    .description(
      'store the API URL and key (from --url/--api-key, the environment or typed) for later commands',
    )
    .option('--no-verify', 'store them without asking the API whether the key is valid')
    .action(async (options: { verify: boolean }, command: Command) => {
      const { connection, output } = await contextOf(command);
      const apiKey = connection.apiKey ?? (await readKey());
      if (!apiKey) throw badInput('no API key given: pass --api-key, set FINETUNED_API_KEY or type it');
      const login = { ...connection, apiKey };
      if (options.verify) await checkKey(login);
      await writeLogin(connection.configFile, { url: connection.url, apiKey });
      output.result({ url: connection.url, configFile: connection.configFile }, () => [
        `logged in to ${connection.url}: stored in ${connection.configFile} (readable by you only)`,
      ]);
    });

  program
    .command('logout')
    .description('forget the stored URL and key')
    .action(async (_options: object, command: Command) => {
      const { connection, output } = await contextOf(command);
      const removed = await removeLogin(connection.configFile);
      output.result({ configFile: connection.configFile, removed }, () =>
        removed ? `removed ${connection.configFile}` : `no login stored in ${connection.configFile}`,
      );
    });
}
