import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';
import { startTestApi, type TestApi } from '../support/api';
import { freePort } from '../support/ports';
import { runNode, type Proc } from '../support/processes';
import { waitFor } from '../support/waiting';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-dev-shm-usage',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export interface Stack {
  api: TestApi;
  dashboard: Proc;
  simulator: Proc;
  browser: Browser;
  dashboardUrl: string;
  stop(): Promise<void>;
}

/** The real api (own database, embedded broker), the built dashboard (`next start`), the simulator and Chromium. */
export async function startStack(simulatorArgs: string[] = []): Promise<Stack> {
  const port = await freePort();
  const dashboardUrl = `http://127.0.0.1:${port}`;
  // The api lets browsers in only from the dashboard's origin (WebSocket Origin check, CORS).
  const api = await startTestApi({ ALLOWED_ORIGINS: dashboardUrl });
  const dashboard = runNode(['node_modules/next/dist/bin/next', 'start', 'apps/dashboard', '-p', String(port), '-H', '127.0.0.1'], { PUBLIC_API_URL: api.httpUrl });
  const simulator = runNode(['dist/apps/simulator/apps/simulator/src/main.js', '--url', api.mqttUrl, '--seed', '7', ...simulatorArgs]);
  await waitFor(async () => (await fetch(dashboardUrl)).ok, `the dashboard at ${dashboardUrl}`, 60_000, 250).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- next output ---\n${dashboard.output()}`);
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  return {
    api,
    dashboard,
    simulator,
    browser,
    dashboardUrl,
    stop: async () => {
      await browser.close();
      await simulator.stop();
      await dashboard.stop();
      await api.stop();
    },
  };
}

/** A fresh context (own sessionStorage) signed in through the login form as a demo user. */
export async function signedInPage(stack: Stack, user: 'operator' | 'engineer' | 'admin', viewport = { width: 1920, height: 1080 }): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${stack.dashboardUrl}/login`);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', `${user}-demo`);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${stack.dashboardUrl}/`);
  await page.locator('[data-testid="user-role"]').waitFor({ timeout: 10_000 });
  await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 20_000 });
  return { context, page };
}
