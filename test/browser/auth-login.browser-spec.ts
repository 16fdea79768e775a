import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import { waitFor } from '../support/waiting';
import { signedInPage, startStack, type Stack } from './browser-harness';

// The test tsconfig has no DOM types: page functions reach sessionStorage through globalThis.
type PageGlobals = { sessionStorage: { getItem(key: string): string | null } };

// Signing in and out of the built dashboard in Chromium, against the real api (demo mode).
describe('dashboard sign-in', () => {
  let stack: Stack;
  let page: Page;
  let dashboardUrl: string;

  beforeAll(async () => {
    stack = await startStack(['--seed', '11'], { JWT_SECRET: 'browser-login-secret-0123456789-abcdefghij' });
    dashboardUrl = stack.dashboardUrl;
    page = await stack.browser.newPage({ viewport: { width: 1600, height: 900 } });
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('views anonymously, signs in as engineer (demo users listed), streams with the token, signs out', async () => {
    await page.goto(dashboardUrl);
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 20_000 });
    await page.locator('[data-testid="sign-in"]').click();

    await page.waitForURL(`${dashboardUrl}/login`);
    const demo = page.locator('[data-testid="demo-users"]');
    await demo.waitFor({ timeout: 10_000 });
    expect(await demo.textContent()).toContain('engineer-demo');

    await page.fill('input[name="username"]', 'engineer');
    await page.fill('input[name="password"]', 'not-the-password');
    await page.click('button[type="submit"]');
    expect(await page.locator('[data-testid="login-error"]').textContent()).toBe('Wrong username or password.');

    await page.fill('input[name="password"]', 'engineer-demo');
    await page.click('button[type="submit"]');
    await page.waitForURL(`${dashboardUrl}/`);
    await page.locator('[data-testid="user-menu"]').waitFor({ timeout: 10_000 });
    expect(await page.locator('[data-testid="user-name"]').textContent()).toBe('engineer');
    expect(await page.locator('[data-testid="user-role"]').textContent()).toBe('engineer');
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 20_000 });
    // The tab holds the engineer's real token (an admin-only route refuses it with 403).
    const token = await page.evaluate(
      () =>
        (JSON.parse((globalThis as unknown as PageGlobals).sessionStorage.getItem('line-monitor.session') ?? '{}') as { token: string })
          .token,
    );
    expect(token.split('.')).toHaveLength(3);
    const audit = (await (
      await fetch(`${stack.api.httpUrl}/api/audit?event=login`, { headers: { authorization: `Bearer ${token}` } })
    ).json()) as unknown;
    expect(audit).toEqual({ detail: 'Requires the admin role' });

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.locator('[data-testid="sign-in"]').waitFor({ timeout: 10_000 });
    expect(await page.evaluate(() => (globalThis as unknown as PageGlobals).sessionStorage.getItem('line-monitor.session'))).toBeNull();
    await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 20_000 });
  }, 90_000);

  it.each(['operator', 'engineer', 'admin'] as const)('signs in as %s and sees the eight lines live, values changing', async (role) => {
    const { context, page: p } = await signedInPage(stack, role, { width: 1600, height: 900 });
    try {
      expect(await p.locator('[data-testid="user-role"]').textContent()).toBe(role);
      for (let i = 1; i <= 8; i++) await p.locator(`[data-testid="line-tile-${i}"]`).waitFor({ timeout: 10_000 });
      const diameter = p.locator('[data-testid="diameter-4"]');
      const first = await waitFor(async () => {
        const t = (await diameter.textContent())?.trim();
        return t && /\d/.test(t) ? t : undefined;
      }, 'a diameter on line 4', 20_000);
      await waitFor(async () => ((await diameter.textContent())?.trim() !== first ? true : undefined), 'the diameter of line 4 to change', 20_000);
    } finally {
      await context.close();
    }
  }, 60_000);
});
