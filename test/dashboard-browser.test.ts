import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import os from 'node:os';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Page } from 'playwright-core';
import { CHROMIUM } from './helpers/chromium.js';
import { chartPoints, openDashboard, signIn, type Dashboard } from './helpers/dashboard.js';
import sharp from 'sharp';
import type { Dataset } from '../src/datasets/dataset-store.js';
import type { JobView } from '../src/jobs/job-view.js';
import type { SweepView } from '../src/sweeps/sweep-view.js';
import { DASHBOARD_CSP } from '../src/routes/dashboard.routes.js';
import { digitRows, digitsCsv } from './helpers/digits.js';
import { TEST_KEY, testKeys, type TestEnv } from './helpers/env.js';
import { finishedJob, type ApiClient } from './helpers/http.js';
import { startWorker, type InProcessWorker } from './helpers/worker.js';

/** A key of the same tenant that may only read datasets. */
const READER_KEY = 'ft_dashboard-datasets-reader';
const EPOCHS = 6;

describe(
  'the dashboard in Chromium (a real listening API and training worker)',
  { skip: !existsSync(CHROMIUM) && `no ${CHROMIUM}` },
  () => {
    let dashboard: Dashboard;
    let env: TestEnv;
    let base: string;
    let api: ApiClient;
    let worker: InProcessWorker | undefined;
    let page: Page;
    let dataset: Dataset;
    let jobId: string;
    const shoot = (name: string) => dashboard.shoot(name);

    before(async () => {
      dashboard = await openDashboard('dashboard', {
        API_KEYS: testKeys([{ id: 'reader', key: READER_KEY, tenant: 'default', scopes: ['datasets:read'] }]),
        // Training runs in this process, beside the API.
        MAX_EVENT_LOOP_DELAY_MS: 60_000,
      });
      ({ env, base, api, page } = dashboard);
      dataset = await api.ok<Dataset>(
        'POST',
        '/v1/datasets?name=digits',
        digitsCsv({ perClass: 20 }),
        'text/csv',
      );
    });

    after(async () => {
      await worker?.close();
      await dashboard?.close();
    });

    it('serves the page with a strict policy of its own: no inline script or style', async () => {
      const response = await fetch(`${base}/ui/`);
      assert.equal(response.status, 200);
      const policy = response.headers.get('content-security-policy') ?? '';
      assert.equal(policy, DASHBOARD_CSP);
      assert.doesNotMatch(policy, /unsafe-inline|unsafe-eval/);
      const html = await response.text();
      assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>/, 'no inline script in the built page');
      assert.doesNotMatch(html, /<style|style=/, 'no inline style in the built page');
    });

    it('a wrong key stays on sign-in, showing the 401 problem', async () => {
      await page.goto(`${base}/ui/`);
      await signIn(page, 'ft_not-a-key');
      const problem = page.locator('.problem', { hasText: '401' });
      await problem.waitFor();
      assert.match(await problem.innerText(), /Unauthorized \(401\): the API key is not valid/);
      assert.equal(await page.locator('#api-key').count(), 1, 'still on sign-in');
      assert.equal(await page.evaluate(() => sessionStorage.length), 0, 'nothing kept');
      await shoot('sign-in-401');
    });

    it('a key without a scope signs in, is told which scope a page needs, and sees what it may', async () => {
      await page.locator('#api-key').fill('');
      await signIn(page, READER_KEY);
      const problem = page.locator('.problem', { hasText: '403' });
      await problem.waitFor();
      const text = await problem.innerText();
      assert.match(text, /Forbidden \(403\): this API key lacks the scope 'jobs:read'/);
      assert.match(text, /lacks the scope jobs:read/);
      assert.doesNotMatch(page.url(), /ft_/, 'the key is never in the address');
      await shoot('jobs-403');
      await page.getByRole('navigation').getByRole('link', { name: 'Datasets' }).click();
      await page.getByRole('link', { name: 'digits' }).waitFor();
      await page.getByRole('button', { name: 'Sign out' }).click();
      await page.locator('#api-key').waitFor();
    });

    it('signs in, submits a job from the dataset page and watches its curves grow live, without a reload', async () => {
      await signIn(page, TEST_KEY);
      await page.getByRole('navigation').waitFor();
      // By keyboard: the section's link, then Enter.
      await page.getByRole('navigation').getByRole('link', { name: 'Datasets' }).focus();
      await page.keyboard.press('Enter');
      await page.getByRole('link', { name: 'digits' }).click();
      await page.locator('figure.chart canvas').waitFor();
      assert.deepEqual(await chartPoints(page), [10], 'one bar per digit');
      await shoot('dataset');

      await page.locator('#job-units').fill('32');
      await page.locator('#job-epochs').fill(String(EPOCHS));
      await page.locator('#job-rate').fill('0.01');
      await page.getByRole('button', { name: 'Train' }).click();
      await page.waitForURL(/\/ui\/jobs\/job_/);
      jobId = decodeURIComponent(page.url().split('/').pop()!);
      await page.locator('.badge.status-queued').first().waitFor();
      assert.deepEqual(await chartPoints(page), [0, 0], 'nothing trained before a worker runs');
      await page.evaluate('window.marker = 1');

      // The worker starts only now: every point the charts get comes over the event stream.
      worker = await startWorker(env.config);
      const seen: number[] = [];
      const succeeded = page.locator('.badge.status-succeeded').first();
      const deadline = Date.now() + 90_000;
      while (!(await succeeded.isVisible())) {
        if (Date.now() > deadline) {
          const job = await api.ok<JobView>('GET', `/v1/jobs/${jobId}`);
          assert.fail(
            `job ${jobId} is ${job.status} ${JSON.stringify(job.error)}, the page shows: ${await page.locator('main').innerText()}`,
          );
        }
        seen.push((await chartPoints(page))[0] ?? -1);
        await sleep(25);
      }
      await page
        .locator('table.epochs tbody tr')
        .nth(EPOCHS - 1)
        .waitFor();
      const final = await chartPoints(page);
      assert.deepEqual(final, [EPOCHS, EPOCHS], 'a point per epoch on both charts');
      assert.deepEqual(
        [...seen].sort((a, b) => a - b),
        seen,
        `points only ever grow: ${seen.join(',')}`,
      );
      assert.equal(await page.locator('table.epochs tr.best').count(), 1, 'the best epoch is marked');
      assert.equal(await page.evaluate('window.marker'), 1, 'no reload');
      assert.match(await page.locator('ol.events').innerText(), /succeeded/);
      const job = await api.ok<JobView>('GET', `/v1/jobs/${jobId}`);
      assert.equal(job.status, 'succeeded');
      assert.equal(job.history.length, EPOCHS);
      await shoot('job');
    });

    it('lists the job with its status and a full progress bar', async () => {
      await page.getByRole('navigation').getByRole('link', { name: 'Jobs' }).click();
      const row = page.locator(`tr[data-job="${jobId}"]`);
      await row.waitFor();
      assert.match(await row.innerText(), /Succeeded/);
      assert.equal(await row.locator('progress').getAttribute('value'), '1');
      await page.locator('select').selectOption('failed');
      await page.getByText('No failed jobs yet').waitFor();
      await page.locator('select').selectOption('');
      await row.waitFor();
      await shoot('jobs');
    });

    it('keeps the list current over the event streams: a paused job, resumed, runs to success in it', async () => {
      // No worker while the job is submitted and paused: it is paused while still queued, at once.
      await worker?.close();
      worker = undefined;
      const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
        name: 'resumed',
        dataset: dataset.id,
        architecture: { type: 'mlp', hiddenUnits: [16] },
        hyperparameters: { epochs: 3 },
      });
      assert.equal((await api.ok<JobView>('POST', `/v1/jobs/${id}/pause`)).status, 'paused');
      await page.reload();
      const row = page.locator(`tr[data-job="${id}"]`);
      await row.locator('.badge.status-paused').waitFor();
      await page.evaluate('window.marker = 2');
      await api.ok('POST', `/v1/jobs/${id}/resume`);
      worker = await startWorker(env.config);
      await row.locator('.badge.status-succeeded').waitFor({ timeout: 60_000 });
      assert.equal(await row.locator('progress').getAttribute('value'), '1');
      assert.equal(await page.evaluate('window.marker'), 2, 'no reload');
    });

    it("opens the job's model and finds its confusion matrix, per-class scores and lineage", async () => {
      await page.locator(`tr[data-job="${jobId}"] a`).click();
      await page.locator('a[href^="/ui/models/mdl_"]').click();
      const matrix = page.locator('table.confusion');
      await matrix.waitFor();
      assert.equal(await matrix.locator('tbody tr').count(), 10);
      assert.equal(await matrix.locator('tbody td').count(), 100);
      assert.equal(await matrix.locator('td.diagonal').count(), 10);
      assert.equal(await page.locator('table.per-class tbody tr').count(), 10);
      assert.ok((await page.locator('table.confusion td[class*="heat-"]').count()) === 100);
      await page.getByRole('link', { name: dataset.id }).waitFor();
      assert.deepEqual(await chartPoints(page), [EPOCHS, EPOCHS], 'the history curves');
      await shoot('model');
    });

    it('predicts from the playground: a pasted row gives the top-k labels with their scores', async () => {
      const row = digitRows({ perClass: 25 }).at(-1)!;
      await page.locator('#predict-rows').fill(row.pixels.join(', '));
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      const top = page.locator('ol.predictions .top-k li');
      await top.first().waitFor();
      assert.equal(await top.count(), 3);
      for (const text of await top.allInnerTexts()) assert.match(text, /^[0-9]\s+\d+\.\d %$/);
      await page.locator('#predict-rows').fill('1, two, 3');
      await page.getByRole('button', { name: 'Predict', exact: true }).click();
      await page.getByText("line 1: 'two' is not a number").waitFor();
      await shoot('model-predict');
    });

    it('predicts an image dropped on the playground of a model that takes images', async () => {
      const { id } = await api.ok<JobView>('POST', '/v1/jobs', {
        dataset: dataset.id,
        architecture: { type: 'cnn', inputShape: [8, 8, 1], filters: [4], denseUnits: 16 },
        hyperparameters: { epochs: 2 },
      });
      const job = await finishedJob(api, id, 60_000);
      assert.equal(job.status, 'succeeded', JSON.stringify(job.error));
      await page.goto(`${base}/ui/models/${job.modelId}`);
      // A digit's 8×8 pixels (0–16 scaled to 0–255) as a PNG, as a person would drop it.
      const pixels = Uint8Array.from(digitRows({ perClass: 21 }).at(-1)!.pixels, (v) => v * 16);
      const png = await sharp(pixels, { raw: { width: 8, height: 8, channels: 1 } })
        .png()
        .toBuffer();
      await page
        .locator('.drop input[type="file"]')
        .setInputFiles({ name: 'digit.png', mimeType: 'image/png', buffer: png });
      await page.locator('.drop img').waitFor();
      await page.getByRole('button', { name: 'Predict the image' }).click();
      const top = page.locator('ol.predictions .top-k li');
      await top.first().waitFor();
      assert.equal(await top.count(), 3);
    });

    it('shows the workers with their backend and jobs', async () => {
      await page.getByRole('navigation').getByRole('link', { name: 'Workers' }).click();
      const table = page.locator('table.workers');
      await table.waitFor();
      assert.match(await table.innerText(), new RegExp(os.hostname()));
      await shoot('workers');
    });

    it('follows a sweep on its page until it ends: its trials, their values and the best one linked', async () => {
      // No worker while the page opens: every change it shows comes over the sweep's event stream.
      await worker?.close();
      worker = undefined;
      const { id } = await api.ok<SweepView>('POST', '/v1/sweeps', {
        name: 'digits rates',
        job: {
          dataset: dataset.id,
          architecture: { type: 'mlp', hiddenUnits: [16] },
          hyperparameters: { epochs: 3 },
        },
        space: { learningRate: { values: [0.03, 0.01, 0.003] } },
        method: 'grid',
        parallel: 1,
        earlyStopping: { rule: 'none' },
      });
      await page.getByRole('navigation').getByRole('link', { name: 'Sweeps' }).click();
      await page.locator(`tr[data-sweep="${id}"] a`).click();
      await page.locator('.facts .badge.status-queued').waitFor();
      assert.equal(await page.locator('table.trials tbody tr').count(), 3);
      await page.evaluate('window.marker = 3');
      worker = await startWorker(env.config);
      await page.locator('.facts .badge.status-succeeded').waitFor({ timeout: 300_000 });
      const sweep = await api.ok<SweepView>('GET', `/v1/sweeps/${id}`);
      assert.equal(sweep.status, 'succeeded', JSON.stringify(sweep.trials));
      const best = sweep.best!;
      const panel = page.locator('.best-trial');
      await panel.locator(`a[href="/ui/models/${best.modelId}"]`).waitFor();
      await panel.locator(`a[href="/ui/jobs/${best.jobId}"]`).waitFor();
      assert.equal(await panel.getAttribute('data-trial'), String(best.trial));
      assert.equal(await page.locator('table.trials tr.best').getAttribute('data-trial'), String(best.trial));
      assert.equal(await page.locator('table.trials .badge.status-succeeded').count(), 3);
      assert.match(await page.locator('table.trials').innerText(), /learning rate 0\.003/);
      assert.deepEqual(await chartPoints(page), [3], 'a bar per trial');
      assert.equal(await page.getByRole('button', { name: 'Cancel' }).count(), 0, 'nothing left to cancel');
      assert.equal(await page.evaluate('window.marker'), 3, 'no reload');
      await shoot('sweep');
      await page.getByRole('link', { name: 'Sweeps', exact: true }).first().click();
      const row = page.locator(`tr[data-sweep="${id}"]`);
      await row.waitFor();
      assert.match(await row.innerText(), /Succeeded[\s\S]*3 \/ 3/);
      await shoot('sweeps');
    });

    it('fits a phone-sized screen', async () => {
      await page.setViewportSize({ width: 390, height: 844 });
      await page.goto(`${base}/ui/jobs/${jobId}`);
      await page.locator('table.epochs').waitFor();
      const overflow = await page.evaluate<number>(
        'document.documentElement.scrollWidth - window.innerWidth',
      );
      assert.ok(overflow <= 0, `the page is ${overflow} px wider than the screen`);
      await shoot('job-phone');
      await page.setViewportSize({ width: 1280, height: 900 });
    });

    it('a key refused later returns to sign-in with the problem', async () => {
      await page.evaluate(() => sessionStorage.setItem('finetuned.apiKey', 'ft_revoked'));
      await page.goto(`${base}/ui/models`);
      await page.locator('#api-key').waitFor();
      assert.match(
        await page.locator('.problem').innerText(),
        /Unauthorized \(401\): the API key is not valid/,
      );
      assert.equal(await page.evaluate(() => sessionStorage.getItem('finetuned.apiKey')), null);
    });

    it('the page broke no rule of its policy on any of them', () => {
      assert.deepEqual(dashboard.violations, []);
    });
  },
);
