import { mkdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startTestApi } from '../support/api';
import { createTestDatabase } from '../support/database';
import { waitFor } from '../support/waiting';
import { signedInPage, startStack, type Stack } from './browser-harness';

const HOUR = 3600_000;
const WEEK = 7 * 24 * HOUR;

interface HistoryRequest {
  metric: string;
  spanMs: number;
  maxPoints: number;
}

// The line detail page in Chromium: history from the api plus live readings in uPlot trends, zoom that
// re-queries, and no hole in the trend after the api restarts under the open page.
describe('line detail trends in a real browser', () => {
  let stack: Stack;
  let page: Page;
  let dropDb: () => Promise<void>;
  let dbUrl: string;
  const requests: HistoryRequest[] = [];

  const attr = async (selector: string, name: string): Promise<number> => Number(await page.locator(selector).getAttribute(name));
  const diameterRequests = (): HistoryRequest[] => requests.filter((r) => r.metric === 'diameter');

  beforeAll(async () => {
    // A database that outlives one api process, so that a restarted api still has the history.
    const db = await createTestDatabase();
    dropDb = db.drop;
    dbUrl = db.url;
    stack = await startStack([], { DATABASE_URL: db.url });
    ({ page } = await signedInPage(stack, 'operator'));
    page.on('request', (req) => {
      const url = new URL(req.url());
      if (!/\/api\/lines\/2\/history$/.test(url.pathname)) return;
      const from = Date.parse(url.searchParams.get('from') ?? '');
      const to = Date.parse(url.searchParams.get('to') ?? '');
      requests.push({
        metric: url.searchParams.get('metric') ?? '',
        spanMs: to - from,
        maxPoints: Number(url.searchParams.get('max_points')),
      });
    });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
    await dropDb?.();
  });

  it('shows history and then live readings in the trends, with limits from the alarm rules', async () => {
    // Some history first: the simulator has been publishing since the stack started.
    await new Promise<void>((resolve) => setTimeout(resolve, 3000)); // lets history accumulate, not a synchronisation
    await page.locator('[data-testid="line-link-2"]').click();
    await page.waitForURL(`${stack.dashboardUrl}/lines/2`);
    const chart = '[data-testid="trend-diameter"]';
    await waitFor(async () => ((await attr(chart, 'data-points')) > 10 ? true : undefined), 'history points in the diameter trend', 10_000);
    expect(await page.locator(chart).getAttribute('data-resolution')).toBe('raw');
    // Zones, pressure and speed trends exist (line 2 has 4 zones).
    for (const m of ['melt_pressure', 'line_speed', 'zone_1', 'zone_4'])
      await page.locator(`[data-testid="trend-${m}"] canvas`).waitFor({ timeout: 5_000 });

    const before = await attr(chart, 'data-length');
    await waitFor(
      async () => ((await attr(chart, 'data-length')) >= before + 10 ? true : undefined),
      'live readings appended to the trend',
      10_000,
    );
    const latest = page.locator('[data-testid="trend-latest-diameter"]');
    const first = await latest.textContent();
    await waitFor(async () => ((await latest.textContent()) !== first ? true : undefined), 'the live diameter to change', 5_000);
    expect(Number.parseFloat((await latest.textContent()) ?? '')).toBeCloseTo(25, 0);
    // 10 Hz readings, nothing missing between history and live.
    expect(await attr(chart, 'data-max-gap-ms')).toBeLessThan(1_000);

    // Zoomed in to 30 s, following live: the README's screenshot.
    for (let i = 0; i < 5; i++) await page.locator('[data-testid="zoom-in"]').click();
    expect(await page.locator('[data-testid="trend-range"]').getAttribute('data-span-ms')).toBe('30000');
    await waitFor(async () => ((await attr(chart, 'data-length')) >= 200 ? true : undefined), 'a 30 s trend with 20 s of data', 20_000);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/line-detail.png' });
  }, 40_000);

  it('downloads the shown range as CSV: the rows the api stored for it, in the browser\'s time zone', async () => {
    // The 30 s view of the previous test, following live.
    const [download] = await Promise.all([page.waitForEvent('download', { timeout: 15_000 }), page.locator('[data-testid="export-csv"]').click()]);
    expect(download.suggestedFilename()).toMatch(/^line-2.*\.csv$/);
    const csv = readFileSync(await download.path(), 'utf8').trim().split('\n');
    expect(csv[0]).toMatch(/^time,/);
    // About 30 s at 10 Hz, each row of line 2 with a zoned ISO time.
    expect(csv.length - 1).toBeGreaterThan(200);
    for (const row of csv.slice(1, 20)) expect(row).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}(Z|[+-]\d\d:\d\d),/);
    expect(await page.locator('[data-testid="export-status"]').textContent()).toMatch(/^Saved line-2/);
  }, 30_000);

  it('re-queries at the right resolution when zoomed from an hour to a week and back, and by dragging', async () => {
    const width = await page
      .locator('[data-testid="trend-diameter"] canvas')
      .evaluate((c) => (c as unknown as { clientWidth: number }).clientWidth);
    const expectQuery = async (click: string, span: number): Promise<void> => {
      const n = diameterRequests().length;
      await page.locator(`[data-testid="${click}"]`).click();
      const req = await waitFor(
        async () =>
          diameterRequests()
            .slice(n)
            .find((r) => Math.abs(r.spanMs - span) < 1000),
        `a history query over ${span} ms`,
        5_000,
      );
      // About one point per pixel of the plot, whatever the range.
      expect(Math.abs(req.maxPoints - width)).toBeLessThan(150);
      await waitFor(
        async () =>
          Math.abs(
            (await attr('[data-testid="trend-diameter"]', 'data-to')) - (await attr('[data-testid="trend-diameter"]', 'data-from')) - span,
          ) < 1000
            ? true
            : undefined,
        'the chart to show the new range',
        5_000,
      );
    };
    await expectQuery('range-1h', HOUR);
    await expectQuery('range-7d', WEEK);
    await expectQuery('range-1h', HOUR);

    // Drag across the diameter plot: a fixed, smaller range, queried again.
    const n = diameterRequests().length;
    const box = await page.locator('[data-testid="trend-diameter"] .u-over').boundingBox();
    if (!box) throw new Error('no plot area');
    await page.mouse.move(box.x + box.width * 0.5, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.75, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    const dragged = await waitFor(async () => diameterRequests().slice(n)[0], 'a query for the dragged range', 5_000);
    expect(dragged.spanMs).toBeGreaterThan(HOUR * 0.2);
    expect(dragged.spanMs).toBeLessThan(HOUR * 0.3);
    expect(await page.locator('[data-testid="trend-range"]').getAttribute('data-following')).toBe('false');
  }, 30_000);

  it('leaves no hole in the trend after the api restarts under the open page', async () => {
    if (!page.url().endsWith('/lines/2')) await page.goto(`${stack.dashboardUrl}/lines/2`);
    await page.locator('[data-testid="range-15m"]').click();
    const chart = '[data-testid="trend-diameter"]';
    await waitFor(
      async () => ((await attr(chart, 'data-max-gap-ms')) < 1000 && (await attr(chart, 'data-length')) > 50 ? true : undefined),
      'a gap-free live trend',
      10_000,
    );

    const httpPort = new URL(stack.api.httpUrl).port;
    const mqttPort = new URL(stack.api.mqttUrl).port;
    await stack.api.stop();
    await page.locator('[data-testid="connection-state"]:not([data-state="live"])').waitFor({ timeout: 10_000 });
    await new Promise<void>((resolve) => setTimeout(resolve, 4000)); // an outage of a few seconds, not a synchronisation
    stack.api = await startTestApi({ PORT: httpPort, MQTT_PORT: mqttPort, ALLOWED_ORIGINS: stack.dashboardUrl, DATABASE_URL: dbUrl });
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 30_000 });

    // Without the re-query the trend keeps a hole as long as the outage (about 5 s measured); with it,
    // the trend has no gap wider than the stored data itself has (readings lost in the shutdown).
    const started = Date.now();
    const widest = async (): Promise<{ chart: number; stored: number }> => {
      const to = await attr(chart, 'data-to');
      const from = await attr(chart, 'data-from');
      const q = new URLSearchParams({
        metric: 'diameter',
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        max_points: '10000',
      });
      const res = (await (await fetch(`${stack.api.httpUrl}/api/lines/2/history?${q.toString()}`)).json()) as {
        points: { time: string }[];
      };
      const t = res.points.map((p) => Date.parse(p.time));
      let stored = 0;
      for (let i = 1; i < t.length; i++) stored = Math.max(stored, t[i] - t[i - 1]);
      return { chart: await attr(chart, 'data-max-gap-ms'), stored };
    };
    let last = { chart: -1, stored: -1 };
    await waitFor(
      async () => {
        last = await widest();
        return last.chart < 2500 && last.chart <= last.stored + 300 ? true : undefined;
      },
      'the outage to be filled in the trend',
      15_000,
      250,
    ).catch((err: unknown) => {
      throw new Error(
        `${String(err)}; widest gap in the trend ${last.chart} ms, in the stored data ${last.stored} ms, after ${Date.now() - started} ms`,
      );
    });
  }, 60_000);
});
