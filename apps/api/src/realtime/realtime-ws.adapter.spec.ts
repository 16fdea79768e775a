import type { IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from '@jest/globals';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { type OnGatewayConnection, type OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import WebSocket, { type WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal';
import { RAW_FRAME, RealtimeWsAdapter, type RawFrame, type UpgradeVerdict, gateUpgrades, upgradePrincipal } from './realtime-ws.adapter';

const ALICE: Principal = { username: 'alice', role: 'engineer', anonymous: false, expiresAt: null };

/** A gateway with the shape of RealtimeGateway whose gate answers what the test sets. */
@WebSocketGateway({ path: '/ws', perMessageDeflate: false })
class ProbeGateway implements OnGatewayInit, OnGatewayConnection {
  verdict: UpgradeVerdict = { ok: true, principal: ALICE };
  readonly principals: (Principal | undefined)[] = [];
  readonly frames: { text: string; isBinary: boolean }[] = [];

  afterInit(server: WebSocketServer): void {
    gateUpgrades(server, () => Promise.resolve(this.verdict));
  }

  handleConnection(_ws: WebSocket, req: IncomingMessage): void {
    this.principals.push(upgradePrincipal(req));
  }

  private waiter: { n: number; resolve: () => void } | null = null;

  @SubscribeMessage(RAW_FRAME)
  onFrame(_ws: WebSocket, frame: RawFrame): void {
    this.frames.push({ text: Buffer.from(frame.data as Buffer).toString('utf8'), isBinary: frame.isBinary });
    if (this.waiter && this.frames.length >= this.waiter.n) this.waiter.resolve();
  }

  /** Resolves once `n` frames arrived; fails after 5 s. */
  received(n: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.frames.length >= n) return resolve();
      const timer = setTimeout(() => reject(new Error(`${this.frames.length} of ${n} frames arrived`)), 5000);
      this.waiter = { n, resolve: () => (clearTimeout(timer), resolve()) };
    });
  }
}

type Outcome = { status: number } | { open: WebSocket } | { closed: { code: number; reason: string } };

/** Connects and reports how the server answered: an HTTP status, an open socket or an immediate close. */
function connect(url: string): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    ws.once('unexpected-response', (_req, res) => resolve({ status: res.statusCode ?? 0 }));
    ws.once('close', (code, reason) => resolve({ closed: { code, reason: String(reason) } }));
    // A refused upgrade closes right after opening: give the close frame one turn to arrive.
    ws.once('open', () => setImmediate(() => ws.readyState === WebSocket.OPEN && resolve({ open: ws })));
    ws.once('error', (err) => (err.message.includes('Unexpected server response') ? undefined : reject(err)));
  });
}

describe('RealtimeWsAdapter', () => {
  let app: INestApplication | undefined;

  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function start(): Promise<{ url: string; gateway: ProbeGateway; app: INestApplication }> {
    const moduleRef = await Test.createTestingModule({ providers: [ProbeGateway] }).compile();
    app = moduleRef.createNestApplication({ logger: false });
    app.useWebSocketAdapter(new RealtimeWsAdapter(app));
    await app.listen(0, '127.0.0.1');
    const { port } = (app.getHttpServer() as Server).address() as AddressInfo;
    return { url: `ws://127.0.0.1:${port}`, gateway: app.get(ProbeGateway), app };
  }

  it('refuses other paths with 404 and a status verdict with that status, without upgrading', async () => {
    const { url, gateway } = await start();
    expect(await connect(`${url}/other`)).toEqual({ status: 404 });
    gateway.verdict = { ok: false, status: 403 };
    expect(await connect(`${url}/ws`)).toEqual({ status: 403 });
    expect(gateway.principals).toEqual([]);
  });

  it('completes a refused upgrade and closes it with the gate\'s close code, never calling handleConnection', async () => {
    const { url, gateway } = await start();
    gateway.verdict = { ok: false, closeCode: 4401, reason: 'token expired' };
    expect(await connect(`${url}/ws?token=x`)).toEqual({ closed: { code: 4401, reason: 'token expired' } });
    expect(gateway.principals).toEqual([]);
  });

  it('hands the admitted principal to handleConnection and every frame, raw, to the RAW_FRAME handler', async () => {
    const { url, gateway } = await start();
    const outcome = await connect(`${url}/ws`);
    if (!('open' in outcome)) throw new Error(`not admitted: ${JSON.stringify(outcome)}`);
    expect(gateway.principals).toEqual([ALICE]);
    const ws = outcome.open;
    ws.send('{"type":"heartbeat","data":{}}');
    ws.send('not json');
    ws.send('{"event":"frame","data":1}');
    ws.send(Buffer.from('bin'), { binary: true });
    await gateway.received(4);
    expect(gateway.frames).toEqual([
      { text: '{"type":"heartbeat","data":{}}', isBinary: false },
      { text: 'not json', isBinary: false },
      { text: '{"event":"frame","data":1}', isBinary: false },
      { text: 'bin', isBinary: true },
    ]);
    ws.close();
  });

  it('closes open clients with 1001 "server shutdown" on app.close() instead of cutting the socket', async () => {
    const started = await start();
    const outcome = await connect(`${started.url}/ws`);
    if (!('open' in outcome)) throw new Error('not admitted');
    const closed = new Promise<{ code: number; reason: string }>((resolve) => outcome.open.once('close', (code, reason) => resolve({ code, reason: String(reason) })));
    await started.app.close();
    app = undefined;
    expect(await closed).toEqual({ code: 1001, reason: 'server shutdown' });
  });
});
