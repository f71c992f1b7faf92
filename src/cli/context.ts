import type { Command } from 'commander';
import type { FinetunedClient } from '../client/index.js';
import { clientOf, resolveConnection, type Connection } from './connection.js';
import { createOutput, type Output } from './output.js';

/** The options every command takes (declared on the program). */
export interface GlobalOptions {
  url?: string;
  apiKey?: string;
  json?: boolean;
}

/** What a command's action works with. */
export interface CommandContext {
  output: Output;
  connection: Connection;
  client: FinetunedClient;
}

/** The context of the command being run, from its own options and the program's. */
export async function contextOf(command: Command): Promise<CommandContext> {
  const options = command.optsWithGlobals<GlobalOptions>();
  const connection = await resolveConnection(options);
  return { output: createOutput(options.json === true), connection, client: clientOf(connection) };
}
