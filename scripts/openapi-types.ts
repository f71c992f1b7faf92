/**
 * `npm run openapi:types`: writes src/client/openapi.d.ts, the TypeScript types of the OpenAPI document the API
 * serves at /docs/json, which the exported client (`finetuned/client`) is typed with. test/openapi.test.ts fails
 * when the document no longer matches them.
 */
import Fastify from 'fastify';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import openapiTS, { astToString } from 'openapi-typescript';
import prettier from 'prettier';
import app, { serverOptions } from '../src/app.js';
import { hashKey } from '../src/auth/api-keys.js';
import { loadConfig } from '../src/config.js';
import { selectBackend } from '../src/tf/backend.js';
import { keysUnder } from '../test/helpers/env.js';

export const TYPES_FILE = fileURLToPath(new URL('../src/client/openapi.d.ts', import.meta.url));

const HEADER =
  "// Made by `npm run openapi:types` from the API's /docs/json: change the route schemas, then run it again.\n\n";

/** The types of an OpenAPI document (its JSON text), formatted as the repository formats TypeScript. */
export async function renderTypes(document: string): Promise<string> {
  const source = HEADER + astToString(await openapiTS(document, { silent: true }));
  const options = await prettier.resolveConfig(TYPES_FILE);
  return prettier.format(source, { ...options, filepath: TYPES_FILE });
}

/** The document as the API serves it, from an instance that never listens, on a throwaway data directory. */
async function fetchDocument(): Promise<string> {
  const dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-openapi-'));
  // The app makes its queue's keys as it starts: under a prefix of their own, they can all go afterwards.
  const prefix = `openapi-types-${randomBytes(4).toString('hex')}`;
  // A key of its own, so that the API does not make one and print it.
  const keys = [
    { id: 'openapi', tenant: 'default', scopes: ['admin'], sha256: hashKey(randomBytes(16).toString('hex')) },
  ];
  const config = loadConfig({
    DATA_DIR: dataDir,
    QUEUE_PREFIX: prefix,
    API_KEYS: JSON.stringify(keys),
    LOG_LEVEL: 'warn',
  });
  const fastify = Fastify(serverOptions(config));
  try {
    await fastify.register(app, { config, backend: await selectBackend('cpu') });
    await fastify.ready();
    try {
      const response = await fastify.inject({ method: 'GET', url: '/docs/json' });
      if (response.statusCode !== 200) throw new Error(`/docs/json answered ${response.statusCode}`);
      return response.body;
    } finally {
      const made = await keysUnder(fastify.redis, prefix);
      if (made.length > 0) await fastify.redis.unlink(...made);
    }
  } finally {
    await fastify.close();
    await fs.rm(dataDir, { recursive: true, force: true });
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  await fs.mkdir(path.dirname(TYPES_FILE), { recursive: true });
  await fs.writeFile(TYPES_FILE, await renderTypes(await fetchDocument()));
  console.log(`wrote ${path.relative(process.cwd(), TYPES_FILE)}`);
}
