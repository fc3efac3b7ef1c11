import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { JobsClient } from '../../lib/client/jobs.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import { exampleService } from '../../lib/pipelines/example/service.js';
import { browserMissing, launchBrowser } from '../support/browser.js';

/**
 * The console in a real browser against `stagecoach dev`'s runtime, asserting what a person sees.
 * No timing is asserted: every wait is on visible state (Playwright waits up to its timeout).
 */
const skip = browserMissing();
const TOKEN = 'dev-token-tenant-a';
const WAIT = { timeout: 30_000 };

describe.skipIf(skip !== undefined)('the console: runs, a job, holds', () => {
  let runtime: DevRuntime;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let jobs: JobsClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-console-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [exampleService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    jobs = new JobsClient({ url: runtime.url, token: TOKEN });
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    page.setDefaultTimeout(WAIT.timeout);
  });

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses an unknown token, signs in with a dev token and shows the runs page', async () => {
    // Prepare
    await page.goto(`${runtime.url}/`);

    // Act: a wrong token first
    await page.getByLabel('Dev token').fill('not-a-token');
    await page.getByRole('button', { name: 'Sign in' }).click();

    // Assess
    await expect.poll(() => page.getByRole('alert').textContent(), WAIT).toContain('HTTP 401');
    await page.getByLabel('Dev token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
    await page.getByText('● live').waitFor();
  });

  it('shows a submitted job appear live and reach DONE', async () => {
    // Act: submitted by another client, after the page is open
    const job = await jobs.submit({
      pipeline: 'wordcount',
      params: { document_id: 'd1', text: 'to be or not to be that is the question' },
      tags: { customer: 'acme' },
    });

    // Assess: the row arrives over the tenant stream and its status follows the job
    const row = page.locator(`tr[data-job-id="${job.job_id}"]`);
    await row.waitFor();
    await row.getByText('DONE').waitFor();
    await expect.poll(() => row.textContent()).toContain('customer:acme');
    await expect.poll(() => page.locator('[data-count="DONE"]').textContent()).toBe('1');
  });

  it('opens the job, shows its graph, timeline and params, and replays it with an edited param', async () => {
    // Prepare
    const [job] = (await jobs.list({ pipeline: 'wordcount' })).items;
    if (job === undefined) throw new Error('the previous test submitted a job');

    // Act: open it from the list
    await page.locator(`tr[data-job-id="${job.job_id}"] a`).click();

    // Assess: every stage DONE, three completed attempts, the params each stage added
    await page.getByRole('heading', { name: /Job/ }).getByText('DONE').waitFor();
    for (const stage of ['ingest', 'count', 'report']) {
      await page.locator(`li[data-stage="${stage}"]`).getByText('DONE').waitFor();
    }
    await expect.poll(() => page.locator('table.timeline tbody tr').count()).toBe(3);
    await page.locator('table.params').getByText('+ count').waitFor();
    await page.locator('table.params').getByText('word_count').waitFor();

    // Act: replay from `report`, keeping the top 2 words instead of 5
    await page.getByRole('button', { name: 'Replay…' }).click();
    await page.getByLabel('Replay from stage').selectOption('report');
    await page.getByLabel('top').fill('0');
    await page.getByRole('button', { name: 'Replay from report' }).click();
    await page.getByText('top: must be ≥ 1').waitFor(); // refused in the form, before any request
    await page.getByLabel('top').fill('2');
    await page.getByRole('button', { name: 'Replay from report' }).click();

    // Assess: the job runs again and ends DONE with two words; the event log shows the replay
    await page.locator('table.events').getByText('job.replayed').waitFor();
    await page.getByRole('heading', { name: /Job/ }).getByText('DONE').waitFor();
    await expect
      .poll(async () => {
        const current = await jobs.get(job.job_id);
        return current.status === 'DONE' && Array.isArray(current.params.top_words)
          ? current.params.top_words.length
          : undefined;
      }, WAIT)
      .toBe(2);
    // The README's screenshots are refreshed on request (STAGECOACH_SCREENSHOTS=1), not by every run.
    if (process.env.STAGECOACH_SCREENSHOTS === '1') {
      await page.screenshot({ path: 'docs/images/console-job.png', fullPage: false });
    }

    // A control the job's status does not allow: the API's answer, plainly
    await page.getByRole('button', { name: 'Resume' }).click();
    await expect
      .poll(() => page.getByRole('alert').first().textContent(), WAIT)
      .toContain('INVALID_TRANSITION');
  });

  it('sets a hold that parks a job, shows the job it holds, and clears it', async () => {
    // Prepare
    await page.goto(`${runtime.url}/#/operations`);
    await page.getByRole('heading', { name: 'Operations' }).waitFor();
    await page.locator('tr[data-stage="wordcount/ingest"]').first().waitFor();

    // Act: hold customer=globex, then submit one of its jobs
    await page.getByLabel('Selector').fill('customer=globex');
    await page.getByLabel('Reason').fill('quota exceeded');
    await page.getByRole('button', { name: 'Set hold' }).click();
    const hold = page.locator('table.holds tbody tr').filter({ hasText: 'customer=globex' });
    await hold.getByText('quota exceeded').waitFor();
    const held = await jobs.submit({
      pipeline: 'wordcount',
      params: { document_id: 'd2', text: 'held back' },
      tags: { customer: 'globex' },
    });
    await expect.poll(async () => (await jobs.get(held.job_id)).status, WAIT).toBe('HELD');
    await page.getByLabel('Auto-refresh').selectOption('1');

    // Assess: the hold lists the job it parks; clearing it releases the job
    await hold.getByRole('link', { name: held.job_id.slice(0, 8) }).waitFor();
    await hold.getByRole('button', { name: /Clear hold/ }).click();
    await page.getByText('No holds.').waitFor();
    await expect.poll(async () => (await jobs.get(held.job_id)).status, WAIT).toBe('DONE');
  });
});
