import type { FastifyInstance } from 'fastify';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Webhook, WebhookWithSecret } from '../src/webhooks/webhook-store.js';
import { assertProblem, buildApp } from './helpers/app.js';
import { createTestEnv, testKeys, type TestEnv } from './helpers/env.js';

const GLOBEX = {
  id: 'globex',
  key: 'ft_globex-webhooks-key',
  tenant: 'globex',
  scopes: ['webhooks:read', 'webhooks:write'],
};
const READER = { id: 'reader', key: 'ft_webhooks-reader-key', tenant: 'default', scopes: ['webhooks:read'] };
const JOBS_ONLY = { id: 'jobs-only', key: 'ft_jobs-only-key', tenant: 'default', scopes: ['jobs:read'] };
// A public address written as an IP, so that registering needs no DNS; nothing is ever sent to it (no events are
// made in this file, and this app delivers nothing).
const PUBLIC_URL = 'https://93.184.215.14/hooks/finetuned';

describe('webhook endpoints (the API)', () => {
  let env: TestEnv;
  let fastify: FastifyInstance;

  const as = (key: { key: string } | undefined, method: string, url: string, payload?: object) =>
    fastify.inject({
      method: method as 'GET',
      url,
      payload,
      headers: key ? { authorization: `Bearer ${key.key}` } : {},
    });
  const create = async (payload: object, key?: { key: string }) => {
    const response = await as(key, 'POST', '/v1/webhooks', payload);
    assert.equal(response.statusCode, 201, response.body);
    return response;
  };

  before(async () => {
    env = await createTestEnv('webhooks', {
      API_KEYS: testKeys([GLOBEX, READER, JOBS_ONLY]),
      WEBHOOK_CONCURRENCY: 0,
      WEBHOOK_MAX_ENDPOINTS: 3,
    });
    fastify = await buildApp(env.config);
  });

  after(async () => {
    await fastify?.close();
    await env?.cleanup();
  });

  it('creates an endpoint with a Standard Webhooks secret shown once; reads never show it', async () => {
    const response = await create({ url: PUBLIC_URL, events: ['job.succeeded', 'model.created'] });
    const made = response.json<WebhookWithSecret>();
    assert.match(made.id, /^whk_[0-9a-z]{26}$/);
    assert.equal(response.headers.location, `/v1/webhooks/${made.id}`);
    assert.deepEqual(
      [made.url, made.events, made.enabled, made.description],
      [PUBLIC_URL, ['job.succeeded', 'model.created'], true, ''],
    );
    assert.match(made.secret, /^whsec_[A-Za-z0-9+/]+=*$/);
    assert.equal(Buffer.from(made.secret.slice(6), 'base64').length, 32);

    const read = await as(READER, 'GET', `/v1/webhooks/${made.id}`);
    assert.equal(read.statusCode, 200);
    const shown = read.json<Webhook & { secret?: string }>();
    assert.equal(shown.secret, undefined);
    assert.equal(read.body.includes(made.secret.slice(6)), false);
    const listed = await as(READER, 'GET', '/v1/webhooks');
    assert.deepEqual(
      listed.json<{ items: Webhook[] }>().items.map((w) => w.id),
      [made.id],
    );
    assert.equal(listed.body.includes('whsec_'), false);
  });

  it('updates events, url, description and enabled; rotates the secret; deletes', async () => {
    const made = (
      await create({ url: PUBLIC_URL, events: ['job.failed'], description: 'alerts' })
    ).json<WebhookWithSecret>();
    const patch = await as(undefined, 'PATCH', `/v1/webhooks/${made.id}`, {
      events: ['job.failed', 'job.cancelled'],
      enabled: false,
      url: `${PUBLIC_URL}/v2`,
    });
    assert.equal(patch.statusCode, 200, patch.body);
    const patched = patch.json<Webhook>();
    assert.deepEqual(
      [patched.events, patched.enabled, patched.url, patched.description],
      [['job.failed', 'job.cancelled'], false, `${PUBLIC_URL}/v2`, 'alerts'],
    );
    assert.ok(patched.updatedAt >= made.updatedAt);
    assert.equal(patched.createdAt, made.createdAt);

    const rotated = await as(undefined, 'POST', `/v1/webhooks/${made.id}/rotate-secret`);
    assert.equal(rotated.statusCode, 200, rotated.body);
    const { secret, ...rest } = rotated.json<WebhookWithSecret>();
    assert.match(secret, /^whsec_/);
    assert.notEqual(secret, made.secret);
    assert.deepEqual(rest.events, patched.events, 'rotating changes nothing else');

    assert.equal((await as(undefined, 'DELETE', `/v1/webhooks/${made.id}`)).statusCode, 204);
    assertProblem(await as(undefined, 'GET', `/v1/webhooks/${made.id}`), 404, 'webhook_not_found');
    assertProblem(await as(undefined, 'DELETE', `/v1/webhooks/${made.id}`), 404, 'webhook_not_found');
  });

  it('bad fields are 400 naming the field', async () => {
    const cases: Array<[object, string]> = [
      [{ url: 'not a url', events: ['job.failed'] }, '/body/url'],
      [{ url: 'ftp://93.184.215.14/x', events: ['job.failed'] }, '/body/url'],
      [{ url: 'https://user:pw@93.184.215.14/x', events: ['job.failed'] }, '/body/url'],
      [{ url: 'https://93.184.215.14:0/x', events: ['job.failed'] }, '/body/url'],
      // Within 2048 characters as given, not once percent-encoded as it would be stored.
      [{ url: `${PUBLIC_URL}/${'é'.repeat(1000)}`, events: ['job.failed'] }, '/body/url'],
      [{ url: PUBLIC_URL, events: [] }, '/body/events'],
      [{ url: PUBLIC_URL, events: ['job.exploded'] }, '/body/events/0'],
      [{ url: PUBLIC_URL, events: ['job.failed', 'job.failed'] }, '/body/events'],
      [{ events: ['job.failed'] }, '/body/url'],
      [{ url: PUBLIC_URL, events: ['job.failed'], secret: 'whsec_mine' }, '/body/secret'],
    ];
    for (const [payload, field] of cases) {
      const problem = assertProblem(
        await as(undefined, 'POST', '/v1/webhooks', payload),
        400,
        'validation_failed',
      );
      assert.equal(problem.field, field, JSON.stringify(payload));
    }
    const made = (await create({ url: PUBLIC_URL, events: ['job.failed'] })).json<Webhook>();
    const empty = assertProblem(
      await as(undefined, 'PATCH', `/v1/webhooks/${made.id}`, {}),
      400,
      'validation_failed',
    );
    assert.equal(empty.field, '/body');
    const badUrl = assertProblem(
      await as(undefined, 'PATCH', `/v1/webhooks/${made.id}`, { url: 'https://u@93.184.215.14/' }),
      400,
      'validation_failed',
    );
    assert.equal(badUrl.field, '/body/url');
    assertProblem(await as(undefined, 'GET', '/v1/webhooks/whk_nope'), 400, 'validation_failed');
    await as(undefined, 'DELETE', `/v1/webhooks/${made.id}`);
  });

  it('refuses private, loopback and link-local targets at registration and on update (422)', async () => {
    for (const url of [
      'http://127.0.0.1:9/hook',
      'http://localhost/hook',
      'http://[::1]/hook',
      'http://10.0.0.8/hook',
      'http://169.254.169.254/latest/meta-data/',
      'http://[::ffff:192.168.0.1]/hook',
      'http://[::ffff:0:127.0.0.1]/hook',
    ]) {
      const problem = assertProblem(
        await as(undefined, 'POST', '/v1/webhooks', { url, events: ['job.failed'] }),
        422,
        'webhook_url_refused',
      );
      assert.deepEqual([problem.field, problem.reason], ['/body/url', 'private_address'], url);
    }
    const made = (await create({ url: PUBLIC_URL, events: ['job.failed'] })).json<Webhook>();
    assertProblem(
      await as(undefined, 'PATCH', `/v1/webhooks/${made.id}`, { url: 'http://192.168.1.1/' }),
      422,
      'webhook_url_refused',
    );
    assert.equal((await as(undefined, 'GET', `/v1/webhooks/${made.id}`)).json<Webhook>().url, PUBLIC_URL);
    await as(undefined, 'DELETE', `/v1/webhooks/${made.id}`);
  });

  it('stores and shows the URL as deliveries read it, not as it was spelt', async () => {
    const spellings: Array<[string, string]> = [
      [` ${PUBLIC_URL} `, PUBLIC_URL],
      ['HTTPS://93.184.215.14:443/a/../hooks', 'https://93.184.215.14/hooks'],
      // A backslash is a slash to the URL parser, so the host is the first address; other parsers read the second.
      ['https://93.184.215.14\\@127.0.0.1/', 'https://93.184.215.14/@127.0.0.1/'],
      ['https://1572394766/x', 'https://93.184.215.14/x'],
    ];
    for (const [given, stored] of spellings) {
      const made = (await create({ url: PUBLIC_URL, events: ['job.failed'] })).json<Webhook>();
      const patched = await as(undefined, 'PATCH', `/v1/webhooks/${made.id}`, { url: given });
      assert.equal(patched.json<Webhook>().url, stored, given);
      await as(undefined, 'DELETE', `/v1/webhooks/${made.id}`);
      const created = (await create({ url: given, events: ['job.failed'] })).json<Webhook>();
      assert.equal(created.url, stored, given);
      assert.equal((await as(undefined, 'GET', `/v1/webhooks/${created.id}`)).json<Webhook>().url, stored);
      await as(undefined, 'DELETE', `/v1/webhooks/${created.id}`);
    }
  });

  it('a tenant has at most WEBHOOK_MAX_ENDPOINTS (409)', async () => {
    const existing = (await as(undefined, 'GET', '/v1/webhooks')).json<{ items: Webhook[] }>().items.length;
    for (let i = existing; i < 3; i++) await create({ url: PUBLIC_URL, events: ['job.failed'] });
    const problem = assertProblem(
      await as(undefined, 'POST', '/v1/webhooks', { url: PUBLIC_URL, events: ['job.failed'] }),
      409,
      'webhook_limit_reached',
    );
    assert.equal(problem.limit, 3);
    // Another tenant's count is its own.
    await create({ url: PUBLIC_URL, events: ['job.failed'] }, GLOBEX);
  });

  it("another tenant's endpoint is 404 on every route, and absent from its list", async () => {
    const ours = (await as(undefined, 'GET', '/v1/webhooks')).json<{ items: Webhook[] }>().items[0]!;
    const base = `/v1/webhooks/${ours.id}`;
    const delivery = 'dlv_0123456789abcdef0123456789abcdef';
    for (const [method, url, payload] of [
      ['GET', base],
      ['PATCH', base, { enabled: false }],
      ['POST', `${base}/rotate-secret`],
      ['GET', `${base}/deliveries`],
      ['POST', `${base}/deliveries/${delivery}/redeliver`],
      ['DELETE', base],
    ] as Array<[string, string, object?]>)
      assertProblem(await as(GLOBEX, method, url, payload), 404, 'webhook_not_found');
    const theirs = (await as(GLOBEX, 'GET', '/v1/webhooks')).json<{ items: Webhook[] }>().items;
    assert.equal(theirs.length, 1);
    assert.ok(!theirs.some((w) => w.id === ours.id));
    const still = (await as(undefined, 'GET', base)).json<Webhook>();
    assert.deepEqual(still, ours, "globex's attempts changed nothing");
    assertProblem(
      await as(undefined, 'POST', `${base}/deliveries/${delivery}/redeliver`),
      404,
      'delivery_not_found',
    );
  });

  it('needs the webhooks scopes: read to look, write to change', async () => {
    const forbidden = assertProblem(await as(JOBS_ONLY, 'GET', '/v1/webhooks'), 403, 'forbidden');
    assert.equal(forbidden.scope, 'webhooks:read');
    const readOnly = assertProblem(
      await as(READER, 'POST', '/v1/webhooks', { url: PUBLIC_URL, events: ['job.failed'] }),
      403,
      'forbidden',
    );
    assert.equal(readOnly.scope, 'webhooks:write');
    assertProblem(
      await fastify.inject({ method: 'GET', url: '/v1/webhooks', headers: { authorization: 'Bearer x' } }),
      401,
      'unauthorized',
    );
  });
});
