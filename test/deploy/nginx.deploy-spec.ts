import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';
import { connect as tlsConnect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { chromium } from 'playwright-core';
import WebSocket from 'ws';
import { startTestApi, type TestApi } from '../support/api';
import { startNginx, type RunningNginx } from '../support/nginx';
import { freePort } from '../support/ports';
import { runNode, type Proc } from '../support/processes';
import { waitFor } from '../support/waiting';
import { TestWsClient } from '../support/ws-client';

const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic', '--ignore-certificate-errors'];
// nginx's default proxy_read_timeout is 60 s: a connection that outlives it proves ours is in force.
const BEYOND_DEFAULT_PROXY_TIMEOUT_MS = 65_000;

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

// The repository's nginx config, for real, with Debian's nginx in front of the running api and dashboard.
describe('behind nginx with TLS', () => {
  let api: TestApi;
  let dashboard: Proc;
  let simulator: Proc;
  let nginx: RunningNginx;
  let httpPort: number;
  let httpsPort: number;
  let origin: string;
  let idle: TestWsClient;
  let idleOpenedAt: number;

  const get = (path: string, headers: Record<string, string> = {}): Promise<Answer> =>
    new Promise((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path, ca: nginx.cert, headers }, (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end();
    });

  beforeAll(async () => {
    httpPort = await freePort();
    httpsPort = await freePort();
    origin = `https://127.0.0.1:${httpsPort}`;
    // Server pings off for this api: the quiet connection below must survive on nginx's settings alone.
    api = await startTestApi({ ALLOWED_ORIGINS: origin, TRUST_PROXY: '1', WS_PING_INTERVAL_MS: '600000' });
    const dashPort = await freePort();
    // No PUBLIC_API_URL: behind the proxy the page talks to its own origin.
    dashboard = runNode(['node_modules/next/dist/bin/next', 'start', 'apps/dashboard', '-p', String(dashPort), '-H', '127.0.0.1']);
    simulator = runNode(['dist/apps/simulator/apps/simulator/src/main.js', '--url', api.mqttUrl, '--lines', '8', '--seed', '3']);
    await waitFor(async () => (await fetch(`http://127.0.0.1:${dashPort}/`)).ok, 'the dashboard', 60_000, 250);
    nginx = await startNginx({ apiAddresses: [new URL(api.httpUrl).host], dashboardAddress: `127.0.0.1:${dashPort}`, httpPort, httpsPort });

    // A quiet connection (subscribed to nothing) opened first, checked last.
    idle = await TestWsClient.connect(`wss://127.0.0.1:${httpsPort}/ws`, {}, { ca: nginx.cert });
    idle.send({ type: 'subscribe', timestamp: new Date().toISOString(), data: { lines: [], request_id: 'quiet' } });
    await idle.next((f) => f.type === 'subscribed', 'the quiet subscription');
    idleOpenedAt = Date.now();
  }, 120_000);

  afterAll(async () => {
    await idle?.close();
    await nginx?.stop();
    await simulator?.stop();
    await dashboard?.stop();
    await api?.stop();
  });

  it('redirects plain HTTP to HTTPS', async () => {
    const res = await new Promise<Answer>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port: httpPort, path: '/lines/3?x=1' }, (r) => {
        r.resume();
        resolve({ status: r.statusCode ?? 0, headers: r.headers, body: '' });
      })
        .on('error', reject)
        .end();
    });
    expect(res.status).toBe(301);
    expect(res.headers.location).toBe(`https://127.0.0.1:${httpsPort}/lines/3?x=1`);
  });

  it('serves the dashboard and the api over TLS with HSTS', async () => {
    const page = await get('/');
    expect(page.status).toBe(200);
    expect(page.body).toContain('Line Monitor');
    expect(page.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    const health = await get('/health');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    expect((await get('/openapi.json')).status).toBe(200);
  });

  it('speaks TLS 1.2 and 1.3 only', async () => {
    const handshake = (maxVersion: 'TLSv1.1' | 'TLSv1.2' | 'TLSv1.3', minVersion: 'TLSv1' | 'TLSv1.2' | 'TLSv1.3') =>
      new Promise<string>((resolve) => {
        const s = tlsConnect({ host: '127.0.0.1', port: httpsPort, ca: nginx.cert, maxVersion, minVersion, servername: 'localhost' }, () => {
          const v = s.getProtocol() ?? 'none';
          s.destroy();
          resolve(v);
        });
        s.on('error', () => resolve('refused'));
      });
    expect(await handshake('TLSv1.1', 'TLSv1')).toBe('refused');
    expect(await handshake('TLSv1.2', 'TLSv1.2')).toBe('TLSv1.2');
    expect(await handshake('TLSv1.3', 'TLSv1.3')).toBe('TLSv1.3');
  });

  it('carries a wss:// connection that receives live data', async () => {
    const ws = await TestWsClient.connect(`wss://127.0.0.1:${httpsPort}/ws`, { Origin: origin }, { ca: nginx.cert });
    await ws.next((f) => f.type === 'connected', 'connected');
    const data = await ws.next((f) => f.type === 'production_data', 'live production data through nginx', 15_000);
    expect(data.data).toHaveProperty('production_line_id');
    await ws.close();
  });

  it('streams Server-Sent Events through the proxy without buffering', async () => {
    const first = await new Promise<string>((resolve, reject) => {
      const req = httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/api/events', ca: nginx.cert, headers: { Accept: 'text/event-stream' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`SSE answered ${res.statusCode}`));
          res.resume();
          return;
        }
        let buf = '';
        res.on('data', (c: Buffer) => {
          buf += c.toString();
          const m = /^data: (.*production_data.*)$/m.exec(buf);
          if (m) {
            resolve(m[1]);
            req.destroy();
          }
        });
      });
      req.on('error', (e) => (e.message.includes('aborted') || e.message.includes('socket hang up') ? undefined : reject(e)));
      req.setTimeout(15_000, () => {
        req.destroy();
        reject(new Error('no production_data event through nginx within 15 s'));
      });
      req.end();
    });
    expect(JSON.parse(first)).toMatchObject({ type: 'production_data' });
  });

  it('shows the dashboard live in a browser over https, its WebSocket on the same origin', async () => {
    const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.goto(`${origin}/`);
      await page.locator('[data-testid="connection-state"][data-state="live"]').waitFor({ timeout: 30_000 });
      await page.locator('[data-testid="diameter-1"]').filter({ hasText: /\d/ }).waitFor({ timeout: 20_000 });
    } finally {
      await browser.close();
    }
  }, 60_000);

  it('keeps a quiet WebSocket open longer than nginx\'s default proxy timeout', async () => {
    await waitFor(() => Date.now() - idleOpenedAt >= BEYOND_DEFAULT_PROXY_TIMEOUT_MS || idle.closed !== null, 'the quiet connection to age past 65 s', 90_000, 500);
    expect(idle.closed).toBeNull();
    idle.send({ type: 'heartbeat', timestamp: new Date().toISOString(), data: { request_id: 'still-there' } });
    const hb = await idle.next((f) => f.type === 'heartbeat', 'a heartbeat answer after 65 s');
    expect(hb.data).toMatchObject({ request_id: 'still-there' });
    expect(idle.ws.readyState).toBe(WebSocket.OPEN);
  }, 100_000);
});
