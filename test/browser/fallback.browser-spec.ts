import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { waitFor } from '../support/waiting';
import { signedInPage, startStack, type Stack } from './browser-harness';

// WebSocket refused by the network between browser and api: the page falls back to Server-Sent
// Events, says so, keeps its values live, and keeps commands off.
describe('SSE fallback in a real browser', () => {
  let stack: Stack;
  let page: Page;

  beforeAll(async () => {
    stack = await startStack(['--fault', '4:pressure'], {}, { blockWebSocket: true });
    const context = await stack.browser.newContext({ viewport: { width: 1600, height: 900 } });
    page = await context.newPage();
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('falls back to SSE and stays live, with the age of the last message shown', async () => {
    await page.goto(stack.dashboardUrl);
    await page.locator('[data-testid="connection-state"][data-state="fallback"]').waitFor({ timeout: 30_000 });
    expect(await page.locator('[data-testid="connection-banner"]').textContent()).toContain('Server-Sent Events');
    expect(await page.locator('[data-testid="connection-state"]').textContent()).toMatch(/last message (<1|\d+) s ago/);

    const diameter = page.locator('[data-testid="diameter-1"]');
    const first = await waitFor(
      async () => {
        const t = (await diameter.textContent())?.trim();
        return t && /\d/.test(t) ? t : undefined;
      },
      'a diameter value over SSE',
      10_000,
    );
    await waitFor(
      async () => ((await diameter.textContent())?.trim() !== first ? true : undefined),
      'the diameter to change over SSE',
      10_000,
    );
    // Alarms arrive over SSE too: line 4's blocked screen pack shows in the banner.
    await waitFor(
      async () => (Number(await page.locator('[data-testid="alarm-banner"]').getAttribute('data-count')) > 0 ? true : undefined),
      'an alarm in the banner over SSE',
      15_000,
    );
    expect(await page.locator('[data-testid="connection-state"]').getAttribute('data-state')).toBe('fallback');
  }, 60_000);

  it("keeps an engineer's commands off on the fallback (read-only), with a hint", async () => {
    const { page: engineer } = await signedInPage(stack, 'engineer', { width: 1600, height: 900 }, 'fallback');
    await engineer.locator('[data-testid="alarm-banner"]').click();
    const row = engineer.locator('[data-testid^="alarm-row-"]').first();
    await row.waitFor({ timeout: 15_000 });
    await row.click();
    await engineer.locator('[data-testid="alarm-detail"]').waitFor({ timeout: 5_000 });
    expect(await engineer.locator('[data-testid="ack-button"]').isDisabled()).toBe(true);
    expect(await engineer.locator('[data-testid="command-hint"]').textContent()).toContain('Not live');
  }, 60_000);
});
