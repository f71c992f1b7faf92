import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { JobEvents } from '../src/jobs/job-events.js';
import { canTransition, JOB_TRANSITIONS, JobLifecycle, type Transition } from '../src/jobs/job-lifecycle.js';
import { redisKeysFor } from '../src/queue/catalogue.js';
import { createTestEnv, type TestEnv } from './helpers/env.js';

describe('the job state machine', () => {
  it('goes queued → running → succeeded, with retries and hand-backs on the way, and nowhere from an end', () => {
    assert.ok(canTransition('new', 'queued'));
    for (const [from, to] of [
      ['queued', 'running'],
      ['running', 'retrying'],
      ['retrying', 'running'],
      ['running', 'queued'],
      ['running', 'succeeded'],
      ['queued', 'cancelled'],
      ['retrying', 'failed'],
      ['queued', 'paused'],
      ['running', 'paused'],
      ['paused', 'queued'],
      ['paused', 'cancelled'],
    ] as const)
      assert.ok(canTransition(from, to), `${from} → ${to}`);
    for (const [from, to] of [
      ['new', 'running'],
      ['queued', 'succeeded'],
      ['running', 'running'],
      ['succeeded', 'running'],
      ['failed', 'cancelled'],
      ['cancelled', 'queued'],
      ['paused', 'running'],
      ['paused', 'succeeded'],
    ] as const)
      assert.ok(!canTransition(from, to), `${from} → ${to} is refused`);
    for (const end of ['succeeded', 'failed', 'cancelled'] as const)
      assert.deepEqual(JOB_TRANSITIONS[end], []);
  });
});

describe('the job lifecycle in Redis', () => {
  let env: TestEnv;
  before(async () => {
    env = await createTestEnv('job-lifecycle-unit');
  });
  after(async () => {
    await env?.cleanup();
  });

  const job = (id: string) => ({ id, tenant: 'default' });

  it('writes each transition as a status event and refuses impossible ones, writing nothing', async () => {
    const lifecycle = new JobLifecycle(env.redis, env.prefix);
    const events = new JobEvents(env.redis, env.prefix);
    assert.equal(await lifecycle.transition(job('job_a'), 'running'), 'refused');
    assert.equal(await lifecycle.transition(job('job_a'), 'queued'), 'moved');
    assert.equal(await lifecycle.transition(job('job_a'), 'succeeded'), 'refused');
    assert.equal(await lifecycle.transition(job('job_a'), 'running', { attempt: 1 }), 'moved');
    assert.equal(await lifecycle.transition(job('job_a'), 'succeeded', { modelId: 'mdl_a' }), 'moved');
    assert.equal(await lifecycle.transition(job('job_a'), 'failed'), 'not_held');
    const statuses = (await events.read('job_a', '0', 100)).map((e) => [e.type, e.data.status]);
    assert.deepEqual(statuses, [
      ['status', 'queued'],
      ['status', 'running'],
      ['status', 'succeeded'],
    ]);
    assert.equal(await events.lastStatus('job_a'), 'succeeded');
    assert.equal(await events.ended('job_a'), true);
  });

  it('status events go through the lifecycle only', async () => {
    const events = new JobEvents(env.redis, env.prefix);
    await assert.rejects(
      events.append('job_b', { type: 'status' as 'log', data: { status: 'succeeded' } }),
      /written by the job lifecycle/,
    );
  });

  it('of two processes ending one job, one ends it and only its listeners hear it, once', async () => {
    const heard: Array<[string, Transition]> = [];
    const connections = [env.redis.duplicate(), env.redis.duplicate()];
    after(() => connections.forEach((connection) => connection.disconnect()));
    const processes = ['api', 'worker'].map((name, i) => {
      const lifecycle = new JobLifecycle(connections[i]!, env.prefix);
      lifecycle.onEnded((t) => void heard.push([name, t]));
      return lifecycle;
    });
    for (let i = 0; i < 20; i++) {
      const id = `job_race_${i}`;
      await processes[0]!.transition(job(id), 'queued');
      await processes[1]!.transition(job(id), 'running');
      const outcomes = await Promise.all([
        processes[0]!.transition(job(id), 'cancelled'),
        processes[1]!.transition(job(id), 'succeeded'),
      ]);
      assert.equal(outcomes.filter((o) => o === 'moved').length, 1, `${id}: ${outcomes.join(', ')}`);
    }
    assert.equal(heard.length, 20);
    for (const [name, t] of heard) assert.equal(name === 'api' ? 'cancelled' : 'succeeded', t.to);
    assert.ok(heard.every(([, t]) => t.from === 'running'));
  });

  it('a cancel accepted first turns a worker success into cancel_requested; fail() then ends it cancelled', async () => {
    const lifecycle = new JobLifecycle(env.redis, env.prefix);
    await lifecycle.transition(job('job_c'), 'queued');
    await lifecycle.transition(job('job_c'), 'running');
    assert.equal(await lifecycle.requestCancel('job_c'), null);
    const success = await lifecycle.transition(job('job_c'), 'succeeded', {}, { unlessCancelled: true });
    assert.equal(success, 'cancel_requested');
    assert.equal(await lifecycle.fail(job('job_c'), { error: { code: 'x', message: 'y' } }), 'cancelled');
    assert.equal(await lifecycle.requestCancel('job_c'), 'cancelled');
  });

  it('a listener that throws does not fail the transition; it is reported', async () => {
    const reported: unknown[] = [];
    const lifecycle = new JobLifecycle(env.redis, env.prefix, (error) => reported.push(error));
    lifecycle.onStatus(() => {
      throw new Error('listener broke');
    });
    assert.equal(await lifecycle.transition(job('job_d'), 'queued'), 'moved');
    assert.equal(reported.length, 1);
  });

  it('a listener of some statuses is told only of those; a transition nobody hears leaves nothing untold', async () => {
    const untold = redisKeysFor(env.prefix).untoldTransitions();
    const entriesOf = async (id: string) =>
      (await env.redis.zrange(untold, 0, -1)).filter((entry) => entry.split('\n')[1] === id);
    const lifecycle = new JobLifecycle(env.redis, env.prefix);
    const heard: string[] = [];
    lifecycle.onStatus(
      ({ to }) => {
        heard.push(to);
        throw new Error('its queue went away');
      },
      ['running', 'succeeded'],
    );
    assert.equal(await lifecycle.transition(job('job_picky'), 'queued'), 'moved');
    assert.deepEqual(await entriesOf('job_picky'), [], 'nobody hears queued: no entry');
    assert.equal(await lifecycle.transition(job('job_picky'), 'running'), 'moved');
    assert.deepEqual(heard, ['running']);
    // Its listener failed: the transition stays untold, to be told again.
    assert.equal((await entriesOf('job_picky')).length, 1);
    assert.equal((await entriesOf('job_picky'))[0]!.split('\n')[3], 'queued');
  });

  it('transitions whose listeners keep failing, a batch of them and more, never hold up those behind them', async () => {
    const untold = redisKeysFor(env.prefix).untoldTransitions();
    // Written by a process whose listener failed every time: all of them are left untold.
    const writer = new JobLifecycle(env.redis, env.prefix);
    writer.onStatus(() => {
      throw new Error('its queue went away');
    });
    const stuck = Array.from({ length: 101 }, (_, i) => `job_stuck_${String(i).padStart(3, '0')}`);
    for (const id of [...stuck, 'job_behind']) await writer.transition(job(id), 'queued');
    // The stuck ones the oldest, the one behind them next; and one that names no event at all, older still.
    for (const entry of await env.redis.zrange(untold, 0, -1)) {
      const id = entry.split('\n')[1]!;
      if (id === 'job_behind') await env.redis.zadd(untold, 1000, entry);
      else if (stuck.includes(id)) await env.redis.zadd(untold, 1 + stuck.indexOf(id), entry);
    }
    await env.redis.zadd(untold, 0, 'default\njob_unreadable');

    const told: string[] = [];
    const api = new JobLifecycle(env.redis, env.prefix);
    api.onStatus(({ jobId }) => {
      if (jobId.startsWith('job_stuck_')) throw new Error('still failing');
      told.push(jobId);
    });
    await api.retell(0);
    await api.retell(0);
    assert.ok(told.includes('job_behind'), `told: ${told.join(', ')}`);
    const left = (await env.redis.zrange(untold, 0, -1)).map((entry) => entry.split('\n')[1]);
    assert.deepEqual(
      left.filter((id) => id === 'job_behind' || id === 'job_unreadable'),
      [],
    );
    // The stuck ones are still untold, to be told again later.
    assert.equal(left.filter((id) => id?.startsWith('job_stuck_')).length, stuck.length);
  });
});
