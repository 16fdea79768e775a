/// <reference lib="dom" />
import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { startTestApi } from '../support/api';
import { waitFor } from '../support/waiting';
import { startStack, type Stack } from './browser-harness';

// The dashboard as an operator sees it: the built Next.js app in Debian's Chromium, fed by the real
// api and the real simulator through the embedded broker.
describe('dashboard in a real browser', () => {
  let stack: Stack;
  let page: Page;
  let dashboardUrl: string;

  beforeAll(async () => {
    stack = await startStack();
    dashboardUrl = stack.dashboardUrl;
    page = await stack.browser.newPage({ viewport: { width: 1920, height: 1080 } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows the eight lines live, with values that change as data arrives', async () => {
    await page.goto(dashboardUrl);
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 20_000 });
    for (let i = 1; i <= 8; i++) await page.locator(`[data-testid="line-tile-${i}"]`).waitFor({ timeout: 20_000 });

    const diameter = page.locator('[data-testid="diameter-1"]');
    const first = await waitFor(
      async () => {
        const t = (await diameter.textContent())?.trim();
        return t && /\d/.test(t) ? t : undefined;
      },
      'a diameter value on line 1',
      20_000,
    );
    const changed = await waitFor(
      async () => {
        const t = (await diameter.textContent())?.trim();
        return t && t !== first ? t : undefined;
      },
      'the diameter of line 1 to change',
      20_000,
    );
    expect(Number.parseFloat(changed)).toBeGreaterThan(15);
    expect(Number.parseFloat(changed)).toBeLessThan(25);
    // The target and the alarm limits from the line registry, under the value.
    await page.locator('[data-testid="diameter-spec-1"]').filter({ hasText: 'target 20.000' }).waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="diameter-spec-1"]').textContent()).toMatch(/limits 19\.\d{3} – 20\.\d{3}/);

    // The README's screenshot: once every tile's trend holds ~10 s of data.
    await waitFor(
      () =>
        page.evaluate(
          () => [...document.querySelectorAll('svg path')].filter((p) => (p.getAttribute('d') ?? '').split('L').length > 40).length >= 8,
        ),
      'eight trends with 10 s of data',
      30_000,
      250,
    );
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({ path: 'docs/screenshots/dashboard.png' });
  }, 90_000);

  it('shows the connection lost when the api restarts, and recovers on its own', async () => {
    const indicator = page.locator('[data-testid="connection-state"]');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 20_000 });
    const httpPort = new URL(stack.api.httpUrl).port;
    const mqttPort = new URL(stack.api.mqttUrl).port;
    await stack.api.stop();
    await waitFor(async () => (await indicator.getAttribute('data-state')) !== 'live' || undefined, 'the indicator to leave live', 10_000);

    // A new api on the same ports (the simulator reconnects to its broker on its own).
    stack.api = await startTestApi({ PORT: httpPort, MQTT_PORT: mqttPort, ALLOWED_ORIGINS: dashboardUrl });
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 30_000 });
    const diameter = page.locator('[data-testid="diameter-2"]');
    const before = (await diameter.textContent())?.trim();
    await waitFor(
      async () => {
        const t = (await diameter.textContent())?.trim();
        return t && t !== before && /\d/.test(t) ? t : undefined;
      },
      'fresh data on line 2 after the restart',
      30_000,
    );
  }, 90_000);
});
