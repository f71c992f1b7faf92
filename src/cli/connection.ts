/**
 * Which API the CLI talks to, and with which key: flags (`--url`, `--api-key`) win over the environment
 * (`FINETUNED_URL`, `FINETUNED_API_KEY`), which wins over the stored login, then http://127.0.0.1:8080.
 */
import { createClient, type FinetunedClient } from '../client/index.js';
import { configPath, readLogin } from './config-file.js';
import { badInput, unreachable } from './errors.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';

export interface ConnectionFlags {
  url?: string;
  apiKey?: string;
}

export interface Connection {
  url: string;
  apiKey: string | undefined;
  /** The config file consulted. */
  configFile: string;
}

/** The URL with its trailing slashes dropped; anything but http(s) is bad input. */
export function checkedUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw badInput(`'${url}' is not a URL (such as ${DEFAULT_URL})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw badInput(`'${url}' is not an http or https URL`);
  return url.replace(/\/+$/, '');
}

/** The connection the flags, the environment and the stored login give. */
export async function resolveConnection(
  flags: ConnectionFlags,
  env: NodeJS.ProcessEnv = process.env,
): Promise<Connection> {
  const configFile = configPath(env);
  const stored = await readLogin(configFile);
  const url = flags.url ?? (env.FINETUNED_URL || undefined) ?? stored.url ?? DEFAULT_URL;
  const apiKey = flags.apiKey ?? (env.FINETUNED_API_KEY || undefined) ?? stored.apiKey;
  return { url: checkedUrl(url), apiKey, configFile };
}

/** The typed client for the connection; a request that gets no answer fails as one line naming the URL. */
export function clientOf(connection: Connection): FinetunedClient {
  return createClient({
    url: connection.url,
    apiKey: connection.apiKey,
    fetch: async (input, init) => {
      try {
        return await fetch(input, init);
      } catch (error) {
        // An abort is the CLI's own doing (a watch detaching), not the network's.
        if ((error as Error).name === 'AbortError') throw error;
        throw unreachable(connection.url, error);
      }
    },
  });
}
