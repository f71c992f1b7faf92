import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { buildApp } from './helpers/app.js';
import { digitsCsv } from './helpers/digits.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';

describe('a job submitted while its dataset is being deleted', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  before(async () => {
    env = await createTestEnv('races');
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify.close();
    await env.cleanup();
  });

  it('is either refused, or keeps its dataset: never accepted on a deleted one', async () => {
    const csv = digitsCsv({ labels: ['0', '1'], perClass: 3 });
    const outcomes: string[] = [];
    for (let round = 0; round < 20; round++) {
      const upload = await fastify.inject({
        method: 'POST',
        url: `/v1/datasets?name=race${round}`,
        headers: { 'content-type': 'text/csv' },
        payload: csv,
      });
      const { id } = upload.json<{ id: string }>();
      const [submitted, deleted] = await Promise.all([
        fastify.inject({
          method: 'POST',
          url: '/v1/jobs',
          payload: {
            dataset: id,
            architecture: { type: 'mlp', hiddenUnits: [4] },
            hyperparameters: { epochs: 1 },
          },
        }),
        fastify.inject({ method: 'DELETE', url: `/v1/datasets/${id}` }),
      ]);
      outcomes.push(`${submitted.statusCode}/${deleted.statusCode}`);
      const stillThere =
        (await fastify.inject({ method: 'GET', url: `/v1/datasets/${id}` })).statusCode === 200;
      if (submitted.statusCode === 201) {
        assert.equal(deleted.statusCode, 409, `round ${round}: job accepted and dataset deleted`);
        assert.ok(stillThere, `round ${round}: the accepted job's dataset is gone`);
      } else {
        assert.equal(submitted.statusCode, 404, `round ${round}: ${submitted.body}`);
        assert.equal(deleted.statusCode, 204);
        assert.ok(!stillThere);
      }
    }
    // Every round ends one of the two consistent ways.
    assert.ok(
      outcomes.every((o) => o === '201/409' || o === '404/204'),
      outcomes.join(' '),
    );
  });
});
