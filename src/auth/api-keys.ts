import { hash, randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { Type, type Static } from 'typebox';
import { Value } from 'typebox/value';

/**
 * What a key may do. `admin` may do everything within its tenant, the worker list included (showing only its
 * tenant's jobs). `operator` is the deployment's: the queue dashboard (every tenant's jobs, Redis's details) and
 * every tenant's jobs in the worker list; it grants nothing else, and `admin` does not grant it.
 */
export const SCOPES = [
  'datasets:read',
  'datasets:write',
  'jobs:read',
  'jobs:write',
  'models:read',
  'models:write',
  'predict',
  'webhooks:read',
  'webhooks:write',
  'admin',
  'operator',
] as const;
export type Scope = (typeof SCOPES)[number];

export const TENANT_PATTERN = '^[a-z0-9][a-z0-9_-]{0,62}$';

/** A configured key: never the key itself, only its SHA-256. */
export const ApiKeySchema = Type.Object(
  {
    id: Type.String({ pattern: '^[A-Za-z0-9_-]{1,64}$', description: 'Shown in logs; not secret' }),
    name: Type.Optional(Type.String({ maxLength: 200 })),
    tenant: Type.String({ pattern: TENANT_PATTERN }),
    scopes: Type.Array(Type.Enum([...SCOPES]), { minItems: 1 }),
    sha256: Type.String({ pattern: '^[0-9a-f]{64}$', description: 'Hex SHA-256 of the whole key' }),
  },
  { additionalProperties: false },
);
export type ApiKey = Static<typeof ApiKeySchema>;

const KeysFileSchema = Type.Object({ keys: Type.Array(ApiKeySchema) }, { additionalProperties: true });

/** The identity a request acts as. */
export interface Principal {
  keyId: string;
  tenant: string;
  scopes: ReadonlySet<Scope>;
}

/** Keys are 256 random bits, so one fast hash is enough: nothing about them is guessable. */
export const hashKey = (key: string) => hash('sha256', key, 'hex');

/** A new key: `ft_` and 43 characters of base64url. */
export function newKey(): string {
  return `ft_${randomBytes(32).toString('base64url')}`;
}

function parseKeys(text: string, where: string): ApiKey[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new Error(`${where} is not valid JSON: ${(error as Error).message}`);
  }
  const document = Array.isArray(parsed) ? { keys: parsed } : parsed;
  if (!Value.Check(KeysFileSchema, document)) {
    const first = Value.Errors(KeysFileSchema, document)[0];
    throw new Error(
      `${where} is not a list of keys: ${first ? `${first.instancePath} ${first.message}` : ''}`,
    );
  }
  return document.keys;
}

/** Whether a principal may use a route that needs `scope`: `admin` holds every scope but `operator`. */
export const holdsScope = (principal: Principal, scope: Scope) =>
  principal.scopes.has(scope) || (scope !== 'operator' && principal.scopes.has('admin'));

/** The configured keys, by hash. */
export class KeyRing {
  private readonly byHash = new Map<string, Principal>();

  constructor(keys: ApiKey[]) {
    for (const key of keys) {
      this.byHash.set(key.sha256, { keyId: key.id, tenant: key.tenant, scopes: new Set(key.scopes) });
    }
  }

  get size(): number {
    return this.byHash.size;
  }

  /** The principal of a presented key, or undefined. */
  verify(key: string): Principal | undefined {
    return this.byHash.get(hashKey(key));
  }
}

/**
 * Loads the keys from `API_KEYS` (JSON) and the keys file. With none anywhere, makes one admin key for the
 * `default` tenant, stores its hash in the keys file and returns the key itself, once, to be shown to the operator.
 */
export async function loadKeys(options: {
  inline: string;
  file: string;
}): Promise<{ ring: KeyRing; generated?: { key: string; file: string } }> {
  const keys: ApiKey[] = [];
  if (options.inline) keys.push(...parseKeys(options.inline, 'API_KEYS'));
  let fileText: string | undefined;
  try {
    fileText = await fs.readFile(options.file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (fileText !== undefined) {
    const listed = parseKeys(fileText, options.file);
    if (listed.length === 0 && keys.length === 0) {
      throw new Error(
        `${options.file} lists no keys: add one, or delete the file to have a key made on start`,
      );
    }
    keys.push(...listed);
  }
  if (keys.length > 0) return { ring: new KeyRing(keys) };

  const key = newKey();
  const entry: ApiKey = {
    id: 'generated',
    name: 'made on first start',
    tenant: 'default',
    // The first key is the one who started the service: its operator too.
    scopes: ['admin', 'operator'],
    sha256: hashKey(key),
  };
  await fs.mkdir(path.dirname(options.file), { recursive: true });
  // Only the hash is stored. Written whole under another name, then linked into place: a second process starting
  // at the same moment either links first (and this one uses its key) or finds the file complete.
  const staged = `${options.file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  await fs.writeFile(staged, `${JSON.stringify({ keys: [entry] }, null, 2)}\n`, { mode: 0o600 });
  try {
    await fs.link(staged, options.file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    return loadKeys(options);
  } finally {
    await fs.rm(staged, { force: true });
  }
  return { ring: new KeyRing([entry]), generated: { key, file: options.file } };
}
