import type { Redis } from 'ioredis';
import { Type, type Static } from 'typebox';
import { ProblemError } from '../errors.js';
import { DELETING_TTL_SECONDS, redisKeysFor, type RedisKeys } from '../queue/catalogue.js';
import { RedisScript } from '../redis-script.js';

/** Alias names: letters, digits, `.`, `_` and `-`; never the `mdl_` of a model id (checked on PUT). */
export const ALIAS_NAME_PATTERN = '[A-Za-z0-9][A-Za-z0-9._-]{0,62}';

export const aliasNotFound = (name: string) =>
  new ProblemError(404, 'alias_not_found', `alias '${name}' does not exist`, { alias: name });

/**
 * Whether `ref` names a model by its id: anything that starts `mdl_`, as no alias may. A mistyped id is so a
 * missing model, never a missing alias.
 */
export const isModelId = (ref: string) => ref.startsWith('mdl_');

/** A model id or an alias name, wherever a route or a job names a model. */
export const ModelRefSchema = (description = 'A model id, or the name of an alias pointing to one') =>
  Type.String({ pattern: `^${ALIAS_NAME_PATTERN}$`, description });

/** The model id `ref` names: itself when it is one, else the model its alias points to (or 404 alias_not_found). */
export async function modelIdOf(
  aliases: Pick<AliasStore, 'get'>,
  tenant: string,
  ref: string,
): Promise<string> {
  if (isModelId(ref)) return ref;
  const alias = await aliases.get(tenant, ref);
  if (!alias) throw aliasNotFound(ref);
  return alias.modelId;
}

export const AliasSchema = Type.Object(
  {
    name: Type.String({ pattern: `^${ALIAS_NAME_PATTERN}$` }),
    modelId: Type.String(),
    createdAt: Type.String({ format: 'date-time' }),
    updatedAt: Type.String({ format: 'date-time' }),
  },
  { title: 'Alias' },
);
export type Alias = Static<typeof AliasSchema>;

// Sets an alias unless its model is being deleted; keeps the alias's creation time. Returns the alias and the
// one it replaced, or -1 when the model is going.
const SET_ALIAS = new RedisScript(`
if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
local alias = cjson.decode(ARGV[2])
local previous = redis.call('HGET', KEYS[1], ARGV[1])
if previous then alias.createdAt = cjson.decode(previous).createdAt end
local encoded = cjson.encode(alias)
redis.call('HSET', KEYS[1], ARGV[1], encoded)
return {encoded, previous or false}
`);

// Marks a model as being deleted unless an alias points to it; returns those aliases' names (none: go ahead).
const GUARD_DELETE = new RedisScript(`
local names = {}
local all = redis.call('HGETALL', KEYS[1])
for i = 1, #all, 2 do
  if cjson.decode(all[i + 1]).modelId == ARGV[1] then table.insert(names, all[i]) end
end
if #names == 0 then redis.call('SET', KEYS[2], '1', 'EX', ARGV[2]) end
return names
`);

/**
 * Named pointers to models, per tenant, in one Redis hash. Moving an alias is one atomic write, so every request
 * after it resolves to the new model; an alias never points to a model that is being deleted.
 */
export class AliasStore {
  private readonly keys: RedisKeys;

  constructor(
    private readonly redis: Redis,
    private readonly prefix: string,
  ) {
    this.keys = redisKeysFor(prefix);
  }

  private key(tenant: string) {
    return this.keys.aliases(tenant);
  }

  async get(tenant: string, name: string): Promise<Alias | undefined> {
    const raw = await this.redis.hget(this.key(tenant), name);
    return raw ? (JSON.parse(raw) as Alias) : undefined;
  }

  /** Points `name` at `modelId`; undefined when the model is being deleted. */
  async set(
    tenant: string,
    name: string,
    modelId: string,
  ): Promise<{ alias: Alias; previous: Alias | undefined } | undefined> {
    const now = new Date().toISOString();
    const alias: Alias = { name, modelId, createdAt: now, updatedAt: now };
    const result = (await SET_ALIAS.run(
      this.redis,
      [this.key(tenant), this.keys.deleting(tenant, 'model', modelId)],
      [name, JSON.stringify(alias)],
    )) as -1 | [string, string | null];
    if (result === -1) return undefined;
    const [encoded, previous] = result;
    return {
      alias: { ...alias, ...(JSON.parse(encoded) as Alias) },
      previous: previous ? (JSON.parse(previous) as Alias) : undefined,
    };
  }

  /** True when there was such an alias. */
  async delete(tenant: string, name: string): Promise<boolean> {
    return (await this.redis.hdel(this.key(tenant), name)) === 1;
  }

  /** A page of aliases in name order; `cursor` is the last name of the previous page. */
  async list(
    tenant: string,
    page: { limit: number; cursor?: string },
  ): Promise<{ items: Alias[]; nextCursor: string | null }> {
    const all = Object.values(await this.redis.hgetall(this.key(tenant)))
      .map((raw) => JSON.parse(raw) as Alias)
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const start = page.cursor === undefined ? 0 : all.findIndex((alias) => alias.name > page.cursor!);
    const items = start < 0 ? [] : all.slice(start, start + page.limit);
    const more = start >= 0 && start + page.limit < all.length;
    return { items, nextCursor: more ? items.at(-1)!.name : null };
  }

  /**
   * Marks a model as being deleted, as {@link JobService.deleteUnused} does, unless an alias points to it: then
   * nothing is marked and the aliases' names are returned.
   */
  async guardDelete(tenant: string, modelId: string): Promise<string[]> {
    const names = (await GUARD_DELETE.run(
      this.redis,
      [this.key(tenant), this.keys.deleting(tenant, 'model', modelId)],
      [modelId, DELETING_TTL_SECONDS],
    )) as string[];
    return names.sort();
  }
}
