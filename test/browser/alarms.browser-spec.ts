import { mkdirSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import type { Page } from 'playwright-core';
import type { AlarmRecord } from '@lm/protocol';
import { waitFor } from '../support/waiting';
import { signedInPage, startStack, type Stack } from './browser-harness';

// Alarms end to end in Chromium: the simulator's blocked screen pack on line 3 (melt pressure to 1.8x)
// raises a critical high-high alarm within ~2 s; an operator and an engineer watch it in two contexts.
describe('alarms in a real browser', () => {
  let stack: Stack;
  let operator: Page;
  let engineer: Page;
  let critical: AlarmRecord;

  beforeAll(async () => {
    stack = await startStack(['--fault', '3:pressure']);
    [operator, engineer] = await Promise.all([
      signedInPage(stack, 'operator').then((s) => s.page),
      signedInPage(stack, 'engineer').then((s) => s.page),
    ]);
  }, 120_000);

  afterAll(async () => {
    await stack?.stop();
  });

  it('shows a raised alarm in the banner and the table within a second', async () => {
    await operator.locator('[data-testid="alarm-banner"]').click();
    await operator.waitForURL(`${stack.dashboardUrl}/alarms`);

    // The api's own view of when the alarm exists; the page must show it within a second of that.
    critical = await waitFor(
      async () => {
        const page = (await (await fetch(`${stack.api.httpUrl}/api/alarms?state=open&line=3`)).json()) as { items: AlarmRecord[] };
        return page.items.find((a) => a.metric === 'melt_pressure' && a.severity === 'critical');
      },
      'a critical melt-pressure alarm on line 3',
      20_000,
      50,
    );
    const seenAt = Date.now();
    await operator.locator(`[data-testid="alarm-row-${critical.id}"][data-state="unacknowledged"]`).waitFor({ timeout: 5_000 });
    await operator.locator(`[data-testid="banner-alarm-${critical.id}"]`).waitFor({ timeout: 1_000 });
    expect(Date.now() - seenAt).toBeLessThan(1_000);
    expect(
      Number(
        await operator
          .locator('[data-testid="sev-count-critical"]')
          .first()
          .textContent()
          .then((t) => t?.replace(/\D/g, '')),
      ),
    ).toBeGreaterThanOrEqual(1);
    const row = operator.locator(`[data-testid="alarm-row-${critical.id}"]`);
    expect(await row.textContent()).toContain('Melt pressure');
    expect(await row.getAttribute('data-sev')).toBe('critical');
  }, 30_000);

  it("keeps an operator's acknowledge and shelve disabled, with a hint", async () => {
    await operator.locator(`[data-testid="alarm-row-${critical.id}"]`).click();
    await operator.locator(`[data-testid="alarm-detail"][data-alarm-id="${critical.id}"]`).waitFor({ timeout: 5_000 });
    expect(await operator.locator('[data-testid="ack-button"]').isDisabled()).toBe(true);
    expect(await operator.locator('[data-testid="shelve-button"]').isDisabled()).toBe(true);
    expect(await operator.locator('[data-testid="ack-comment"]').isDisabled()).toBe(true);
    expect(await operator.locator('[data-testid="command-hint"]').textContent()).toContain('engineer or admin');
  }, 15_000);

  it('lets an engineer acknowledge with a comment, and every open page sees the new state', async () => {
    await engineer.goto(`${stack.dashboardUrl}/alarms?id=${critical.id}`);
    await engineer.locator(`[data-testid="alarm-detail"][data-alarm-id="${critical.id}"]`).waitFor({ timeout: 10_000 });
    // Critical alarms need a comment: the button stays off until there is one.
    const ack = engineer.locator('[data-testid="ack-button"]');
    await waitFor(async () => (await ack.isDisabled()) || undefined, 'acknowledge disabled without a comment', 5_000);
    await engineer.fill('[data-testid="ack-comment"]', 'Screen pack changed, pressure falling');
    await ack.click();

    const outcome = engineer.locator('[data-testid="command-outcome"]');
    await outcome.waitFor({ timeout: 5_000 });
    expect(await outcome.getAttribute('data-ok')).toBe('true');
    expect(await outcome.textContent()).toMatch(/acknowledged/i);

    // Both browsers, over their own WebSockets.
    await engineer.locator(`[data-testid="alarm-row-${critical.id}"][data-state="acknowledged"]`).waitFor({ timeout: 3_000 });
    await operator.locator(`[data-testid="alarm-row-${critical.id}"][data-state="acknowledged"]`).waitFor({ timeout: 3_000 });
    await operator.locator(`[data-testid="detail-acked"]`).waitFor({ timeout: 3_000 });
    expect(await operator.locator('[data-testid="detail-acked"]').textContent()).toContain('Screen pack changed');
    expect(await operator.locator(`[data-testid="banner-alarm-${critical.id}"]`).count()).toBe(0);

    // The trail (GET /api/alarms/{id}) holds the acknowledgement with its comment.
    await waitFor(
      async () => ((await engineer.locator('[data-testid="alarm-trail"] li').count()) >= 2 ? true : undefined),
      'the trail to show the acknowledgement',
      5_000,
    );
    expect(await engineer.locator('[data-testid="alarm-trail"]').textContent()).toContain('Screen pack changed');
    // The history lists it too.
    await engineer.locator('[data-testid="history-refresh"]').click();
    await waitFor(
      async () => ((await engineer.locator('[data-testid="history-row"]').count()) >= 1 ? true : undefined),
      'history rows',
      5_000,
    );

    mkdirSync('docs/screenshots', { recursive: true });
    await engineer.screenshot({ path: 'docs/screenshots/alarms.png' });
  }, 30_000);
});
