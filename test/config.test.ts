import assert from 'node:assert/strict';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';
import { spawnChild } from './helpers/processes.js';

describe('configuration', () => {
  it('a bad value is one error naming every bad variable, its value and why', () => {
    assert.throws(
      () => loadConfig({}, { PORT: 'abc', MAX_CLASSES: '1' }),
      (error: unknown) =>
        error instanceof ConfigError &&
        error.message === 'invalid configuration: PORT="abc" must be integer; MAX_CLASSES="1" must be >= 2',
    );
  });

  for (const entry of ['src/main.ts', 'src/server.ts', 'workers/trainer.ts']) {
    it(`${entry} stops on a bad value with that one line and no stack trace`, async () => {
      const started = spawnChild(process.execPath, ['--import', 'tsx', entry], { env: { PORT: 'abc' } });
      const [code] = await started.exited;
      assert.equal(code, 1);
      assert.equal(started.output().trim(), 'invalid configuration: PORT="abc" must be integer');
    });
  }

  it('the start commands read .env from the working directory; variables already set win', async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'finetuned-dotenv-'));
    try {
      await fs.writeFile(path.join(dir, '.env'), 'PORT=from-dotenv\nMAX_CLASSES=1\n');
      const entry = path.resolve('src/server.ts');
      // From another folder: tsx by its full address.
      const started = spawnChild(process.execPath, ['--import', import.meta.resolve('tsx'), entry], {
        cwd: dir,
        env: { MAX_CLASSES: '10' },
      });
      const [code] = await started.exited;
      assert.equal(code, 1);
      assert.equal(started.output().trim(), 'invalid configuration: PORT="from-dotenv" must be integer');
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });
});
