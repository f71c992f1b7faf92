import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import { describe, it } from 'node:test';
import { PROBLEM_CODES } from '../src/problem-codes.js';

describe('problem codes', () => {
  it("docs/errors.md's table lists exactly the service's codes, each with its statuses", async () => {
    const text = await fs.readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
    const documented = new Map<string, string>();
    for (const [, code, statuses] of text.matchAll(/^\| `([a-z_]+)` +\| ([0-9, ]+?) +\|/gm))
      documented.set(code!, statuses!.replace(/ /g, ''));
    const actual = new Map<string, string>();
    for (const [status, codes] of Object.entries(PROBLEM_CODES))
      for (const code of codes) actual.set(code, [actual.get(code), status].filter(Boolean).join(','));
    assert.deepEqual(Object.fromEntries([...documented].sort()), Object.fromEntries([...actual].sort()));
  });
});
