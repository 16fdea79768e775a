import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
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
export async function startStack(
  simulatorArgs: string[] = [],
  apiEnv: Record<string, string> = {},
  options: { blockWebSocket?: boolean } = {},
): Promise<Stack> {
  const port = await freePort();
  const dashboardUrl = `http://127.0.0.1:${port}`;
  // The api lets browsers in only from the dashboard's origin (WebSocket Origin check, CORS).
  const api = await startTestApi({ ALLOWED_ORIGINS: dashboardUrl, ...apiEnv });
  const proxy = options.blockWebSocket ? await refuseWebSocketProxy(api.httpUrl) : null;
  const dashboard = runNode(['node_modules/next/dist/bin/next', 'start', 'apps/dashboard', '-p', String(port), '-H', '127.0.0.1'], {
    PUBLIC_API_URL: proxy?.url ?? api.httpUrl,
  });
  const simulator = runNode(['dist/apps/simulator/apps/simulator/src/main.js', '--url', api.mqttUrl, '--seed', '7', ...simulatorArgs]);
  await waitFor(async () => (await fetch(dashboardUrl)).ok, `the dashboard at ${dashboardUrl}`, 60_000, 250).catch((err: unknown) => {
    throw new Error(`${String(err)}\n--- next output ---\n${dashboard.output()}`);
  });
  const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const stack: Stack = {
    api,
    dashboard,
    simulator,
    browser,
    dashboardUrl,
    // Reads stack.api at the end: a test may have replaced the api (restart).
    stop: async () => {
      await browser.close();
      await simulator.stop();
      await dashboard.stop();
      if (proxy) await new Promise<void>((resolve) => proxy.server.close(() => resolve()));
      await stack.api.stop();
    },
  };
  return stack;
}

/** A fresh context (own sessionStorage) signed in through the login form as a demo user. */
export async function signedInPage(
  stack: Stack,
  user: 'operator' | 'engineer' | 'admin',
  viewport = { width: 1920, height: 1080 },
  expectState: 'live' | 'fallback' = 'live',
): Promise<{ context: BrowserContext; page: Page }> {
  const context = await stack.browser.newContext({ viewport });
  const page = await context.newPage();
  await page.goto(`${stack.dashboardUrl}/login`);
  await page.fill('input[name="username"]', user);
  await page.fill('input[name="password"]', `${user}-demo`);
  await page.click('button[type="submit"]');
  await page.waitForURL(`${stack.dashboardUrl}/`);
  await page.locator('[data-testid="user-role"]').waitFor({ timeout: 10_000 });
  await page.locator(`[data-testid="connection-state"][data-state="${expectState}"]`).waitFor({ timeout: 30_000 });
  return { context, page };
}

/**
 * A network that refuses WebSocket upgrades (as some corporate proxies do) but passes plain HTTP,
 * Server-Sent Events included, through to the api.
 */
async function refuseWebSocketProxy(target: string): Promise<{ url: string; server: Server }> {
  const upstream = new URL(target);
  const server = createServer((req, res) => {
    const up = request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers);
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    req.pipe(up);
  });
  server.on('upgrade', (_req, socket) => socket.end('HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n'));
  // Open SSE streams would keep close() waiting.
  server.on('close', () => server.closeAllConnections());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server };
}
