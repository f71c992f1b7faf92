import type { FastifyInstance } from 'fastify';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page } from 'playwright-core';
import { build } from 'vite';
import { launchChromium } from './chromium.js';
import { createTestEnv, type TestEnv } from './env.js';
import { apiClient, type ApiClient } from './http.js';
import { listen } from './processes.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** Where the screenshots of each page go, beside the test output. */
const SHOTS = path.join(ROOT, 'test-results', 'dashboard');

/** The dashboard as a browser sees it: the built page served by a listening API, and a Chromium page on it. */
export interface Dashboard {
  env: TestEnv;
  server: FastifyInstance;
  base: string;
  api: ApiClient;
  browser: Browser;
  page: Page;
  /** Every Content-Security-Policy violation on any page loaded, as the page and its console reported it. */
  violations: string[];
  /** A full-page screenshot into test-results/dashboard/`name`.png. */
  shoot: (name: string) => Promise<Buffer>;
  close: () => Promise<void>;
}

/** Builds the page as `npm run build:ui` does, into a folder of its own, and opens it in Chromium. */
export async function openDashboard(name: string, settings: Record<string, unknown>): Promise<Dashboard> {
  const uiDir = await fs.mkdtemp(path.join(os.tmpdir(), `finetuned-${name}-`));
  await build({
    configFile: path.join(ROOT, 'web', 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir: uiDir, emptyOutDir: true },
  });
  const env = await createTestEnv(name, { ...settings, DASHBOARD_DIR: uiDir });
  const { server, base } = await listen(env.config, { credentials: false });
  await fs.mkdir(SHOTS, { recursive: true });
  const browser = await launchChromium();
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.setDefaultTimeout(15_000);
  const violations: string[] = [];
  await page.exposeFunction('reportViolation', (text: string) => violations.push(text));
  // Page code as text: this file is compiled without the DOM's types.
  await page.addInitScript(
    "document.addEventListener('securitypolicyviolation', (e) => reportViolation(`${e.violatedDirective} ${e.blockedURI}`))",
  );
  page.on('console', (message) => {
    if (/Content.Security.Policy/i.test(message.text())) violations.push(message.text());
  });
  return {
    env,
    server,
    base,
    api: apiClient(base),
    browser,
    page,
    violations,
    shoot: (shot) => page.screenshot({ path: path.join(SHOTS, `${shot}.png`), fullPage: true }),
    close: async () => {
      await browser.close();
      await server.close();
      await env.cleanup();
      await fs.rm(uiDir, { recursive: true, force: true });
    },
  };
}

/** Signs in on the sign-in form, by keyboard: the key typed into its field, then Enter. */
export async function signIn(page: Page, key: string): Promise<void> {
  await page.locator('#api-key').focus();
  await page.keyboard.type(key);
  await page.keyboard.press('Enter');
}

/** The number of x values of each uPlot chart on the page, in page order. */
export async function chartPoints(page: Page): Promise<number[]> {
  const charts = await page.locator('figure.chart').all();
  return Promise.all(charts.map(async (chart) => Number(await chart.getAttribute('data-points'))));
}
