/**
 * What `finetuned login` stores: the API's URL and key in `$XDG_CONFIG_HOME/finetuned/config.json` (else
 * `~/.config/finetuned/config.json`), the folder 700 and the file 600, since the key is a secret.
 */
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { badInput } from './errors.js';

export interface StoredLogin {
  url?: string;
  apiKey?: string;
}

/** The config file's path for this environment. */
export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  // The XDG spec says to ignore a relative XDG_CONFIG_HOME.
  const xdg = env.XDG_CONFIG_HOME;
  const root = xdg && path.isAbsolute(xdg) ? xdg : path.join(os.homedir(), '.config');
  return path.join(root, 'finetuned', 'config.json');
}

/** The stored login, or nothing when there is no file; a file that is not ours to read is bad input. */
export async function readLogin(file: string): Promise<StoredLogin> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw badInput(`${file} is not JSON: run \`finetuned login\` again or delete it`);
  }
  const { url, apiKey } = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<
    string,
    unknown
  >;
  return {
    ...(typeof url === 'string' ? { url } : {}),
    ...(typeof apiKey === 'string' ? { apiKey } : {}),
  };
}

/** Writes the login with only its owner able to read it: a new file of mode 600 renamed over the old one. */
export async function writeLogin(file: string, login: StoredLogin): Promise<void> {
  const dir = path.dirname(file);
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  // mkdir leaves an existing folder's mode alone; this one holds nothing but our file.
  await fs.chmod(dir, 0o700);
  const temporary = `${file}.${process.pid}.tmp`;
  try {
    await fs.writeFile(temporary, `${JSON.stringify(login, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    await fs.rename(temporary, file);
  } finally {
    await fs.rm(temporary, { force: true });
  }
}

/** Removes the stored login; true when there was one. */
export async function removeLogin(file: string): Promise<boolean> {
  try {
    await fs.unlink(file);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}
