import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { typesDifferences } from '../scripts/openapi-types.js';

describe('the check of the committed types files', () => {
  let dir: string;
  const file = (name: string) => path.join(dir, name);

  before(async () => {
    dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-openapi-types-'));
    await fs.writeFile(file('current.d.ts'), 'a\nb\n');
    await fs.writeFile(file('stale.d.ts'), 'a\nb\nc\n');
    await fs.writeFile(file('extra.d.ts'), 'a\n');
  });

  after(async () => {
    await fs.rm(dir, { recursive: true, force: true });
  });

  it('names each missing, stale and extra file', async () => {
    const rendered = new Map([
      [file('current.d.ts'), 'a\nb\n'],
      [file('stale.d.ts'), 'a\nB\nc\n'],
      [file('missing.d.ts'), 'a\n'],
    ]);
    const name = (base: string) => path.relative(process.cwd(), file(base));
    assert.deepEqual((await typesDifferences(rendered, dir)).sort(), [
      `${name('extra.d.ts')} is not one of the types of /docs/json`,
      `${name('missing.d.ts')} is missing`,
      `${name('stale.d.ts')} differs from /docs/json from line 2`,
    ]);
  });

  it('finds nothing when the files are the ones rendered', async () => {
    const rendered = new Map([
      [file('current.d.ts'), 'a\nb\n'],
      [file('stale.d.ts'), 'a\nb\nc\n'],
      [file('extra.d.ts'), 'a\n'],
    ]);
    assert.deepEqual(await typesDifferences(rendered, dir), []);
  });
});
