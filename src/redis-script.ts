import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

type Arg = string | number;

/**
 * A Lua script run by its SHA1 (EVALSHA), sent whole only when the server does not have it yet (after a restart
 * or a SCRIPT FLUSH): a submission sends a few dozen bytes per script instead of its text, and Redis does not hash
 * the text on every call. A NOSCRIPT reply comes before the script runs, so sending it again runs it once.
 */
export class RedisScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly Arg[] = []): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}
