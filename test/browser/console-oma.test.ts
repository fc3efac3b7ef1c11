import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { uploadMeasurement } from '../../lib/cli/upload.js';
import { OmaClient } from '../../lib/client/oma.js';
import { DevRuntime } from '../../lib/dev/runtime.js';
import type { AnalysisType } from '../../lib/pipelines/oma/schemas.js';
import { omaService } from '../../lib/pipelines/oma/service.js';
import { browserMissing, launchBrowser } from '../support/browser.js';
import { stagecoach } from '../support/cli.js';
import { eventually } from '../support/wait.js';
import { frameMeasurement } from '../unit/pipelines/oma/fixtures.js';

const skip = browserMissing();
const TOKEN = 'dev-token-tenant-a';
const STRUCTURE = 'frame-console';
/** Only a guard against a hang on a busy machine: the analyses run in this process. */
const WAIT = { timeout: 120_000 };

describe.skipIf(skip !== undefined)('the console: an SSI analysis drawn as PyOMA2 would', () => {
  let runtime: DevRuntime;
  let browser: Browser;
  let page: Page;
  let dir: string;
  let oma: OmaClient;
  const ids: Partial<Record<AnalysisType, string>> = {};

  const run = async (type: AnalysisType, csv?: Buffer): Promise<string> => {
    const created = await oma.createAnalysis(STRUCTURE, { type, name: `console ${type}` });
    if (csv !== undefined) await uploadMeasurement(oma, STRUCTURE, created.analysis_id, csv);
    await oma.run(STRUCTURE, created.analysis_id);
    const done = await eventually(
      async () => {
        const a = await oma.getAnalysis(STRUCTURE, created.analysis_id);
        return ['DONE', 'ERROR', 'ABORTED'].includes(a.status) ? a : undefined;
      },
      `the ${type} analysis`,
      WAIT.timeout,
    );
    expect(done.status, JSON.stringify(done.error)).toBe('DONE');
    return created.analysis_id;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'stagecoach-console-oma-'));
    runtime = await DevRuntime.start({
      backend: 'memory',
      services: [omaService],
      port: 0,
      tokensFile: join(dir, 'tokens.json'),
    });
    oma = new OmaClient({ url: runtime.url, token: TOKEN });
    // The demo's sequence on a shorter record: preprocess once, then SSI and FDD on the dataset.
    const { csv } = await frameMeasurement();
    ids.PREPROCESSING = await run('PREPROCESSING', csv);
    ids.SSI = await run('SSI');
    ids.FDD = await run('FDD');
    browser = await launchBrowser();
    page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    page.setDefaultTimeout(30_000);
    await page.goto(`${runtime.url}/`);
    await page.getByLabel('Dev token').fill(TOKEN);
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('heading', { name: 'Runs' }).waitFor();
  }, 360_000);

  afterAll(async () => {
    await browser?.close();
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the structure and its analyses with their statuses', async () => {
    // Act
    await page.getByRole('link', { name: 'OMA' }).click();
    await page.getByRole('link', { name: STRUCTURE }).click();

    // Assess
    for (const type of ['PREPROCESSING', 'SSI', 'FDD'] as const) {
      const row = page.locator(`tr[data-analysis-id="${ids[type]}"]`);
      await row.getByText('DONE').waitFor();
      await row.getByText(type, { exact: true }).waitFor();
    }
    await page.getByText(/Dataset: 5 channels/).waitFor();
  });

  it('draws the SSI stabilization diagram over the spectrum with every identified mode marked', async () => {
    // Prepare
    const results = await oma.results(STRUCTURE, ids.SSI ?? '');
    const modes = results.result?.modes.length ?? 0;

    // Act
    await page.locator(`tr[data-analysis-id="${ids.SSI}"] a`).click();

    // Assess: both plots drawn (a canvas each), with as many marked modes as the result has
    const stabilization = page.locator('#stabilization .plot-area');
    const spectrum = page.locator('#spectrum .plot-area');
    await stabilization.locator('canvas').waitFor();
    await spectrum.locator('canvas').waitFor();
    expect(modes).toBeGreaterThanOrEqual(5);
    expect(await stabilization.getAttribute('data-marked-modes')).toBe(String(modes));
    expect(await spectrum.getAttribute('data-marked-modes')).toBe(String(modes));
    expect(Number(await stabilization.getAttribute('data-poles'))).toBeGreaterThan(modes);
    await page
      .locator('#stabilization figcaption')
      .getByText(/from FDD analysis 'console FDD'|σ1/)
      .or(page.locator('#spectrum figcaption').getByText(/FDD analysis 'console FDD'/))
      .first()
      .waitFor();
    // The mode table and the MAC matrix: one row per mode
    await expect.poll(() => page.locator('table.modes tbody tr').count()).toBe(modes);
    await expect.poll(() => page.locator('table.mac tbody tr').count()).toBe(modes);
    await page.locator('#stabilization').scrollIntoViewIfNeeded();
    // The README's screenshots are refreshed on request (STAGECOACH_SCREENSHOTS=1), not by every run.
    if (process.env.STAGECOACH_SCREENSHOTS === '1') {
      await page.locator('#stabilization').screenshot({ path: 'docs/images/console-stabilization.png' });
    }

    // Downloads: the modes as CSV, a plot as PNG
    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Modes as CSV' }).click(),
    ]);
    expect(csv.suggestedFilename()).toMatch(/modes\.csv$/);
    const [png] = await Promise.all([
      page.waitForEvent('download'),
      page.locator('#stabilization').getByRole('button', { name: 'PNG' }).click(),
    ]);
    expect(png.suggestedFilename()).toMatch(/stabilization\.png$/);
  });

  it('draws the FDD spectrum with its picked peaks', async () => {
    // Prepare
    const modes = (await oma.results(STRUCTURE, ids.FDD ?? '')).result?.modes.length ?? 0;

    // Act
    await page.goto(`${runtime.url}/#/oma/${STRUCTURE}/${ids.FDD}`);

    // Assess
    // The route changes in place: wait for the SSI page's plots to give way to the FDD page's.
    const spectrum = page.locator('#spectrum .plot-area');
    await spectrum.locator('canvas').waitFor();
    const drawn = await eventually(
      async () =>
        (await page.locator('#stabilization').count()) === 0 &&
        (await spectrum.getAttribute('data-singular-values')) !== null && {
          marked: await spectrum.getAttribute('data-marked-modes'),
          singular: Number(await spectrum.getAttribute('data-singular-values')),
        },
      'the FDD page',
    );
    expect(drawn.marked).toBe(String(modes));
    expect(drawn.singular).toBe(5);
  });

  it('writes a self-contained HTML report with the same plots (stagecoach oma report)', async () => {
    // Prepare
    const file = join(dir, 'report.html');
    const modes = (await oma.results(STRUCTURE, ids.SSI ?? '')).result?.modes.length ?? 0;

    // Act
    const cli = await stagecoach([
      'oma',
      'report',
      STRUCTURE,
      ids.SSI ?? '',
      '-o',
      file,
      '--url',
      runtime.url,
      '--token',
      TOKEN,
    ]);

    // Assess: it opens from disk, with no server, and draws what the console draws
    expect(cli.code, cli.stderr).toBe(0);
    expect(cli.stdout).toContain(`${modes} modes`);
    const report = await browser.newPage();
    await report.goto(`file://${file}`);
    await report.getByRole('heading', { name: /SSI analysis console SSI/ }).waitFor();
    const stabilization = report.locator('#stabilization .plot-area');
    await stabilization.locator('canvas').waitFor();
    expect(await stabilization.getAttribute('data-marked-modes')).toBe(String(modes));
    expect(await report.locator('#spectrum .plot-area').getAttribute('data-marked-modes')).toBe(
      String(modes),
    );
    await expect.poll(() => report.locator('table.modes tbody tr').count()).toBe(modes);
    await report.close();
  });
});
