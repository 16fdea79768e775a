import { STATUS_CODES, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { INestApplicationContext } from '@nestjs/common';
import { WsAdapter } from '@nestjs/platform-ws';
import type { MessageMappingProperties } from '@nestjs/websockets';
import type { Observable } from 'rxjs';
import type { RawData, WebSocket, WebSocketServer } from 'ws';
import type { Principal } from '../auth/principal';

/*
 * Why this adapter exists: Nest's WsAdapter accepts every upgrade on the gateway's path and routes only
 * frames its messageParser turns into `{event}`. /ws needs more (DESIGN.md 4):
 * - an async step before the upgrade is accepted (token, Origin, connection limits), with refusals
 *   completed as an upgrade and closed with a close code (4401/4403/4429), which a browser can read
 *   (an HTTP status on a failed upgrade it cannot);
 * - every frame as it arrived (text or binary, unparsable, floods) so the hub can answer and count it.
 * So the gateway registers an UpgradeGate in afterInit (run before each upgrade; the Principal it
 * returns reaches handleConnection through `upgradePrincipal(req)`), and one `@SubscribeMessage(RAW_FRAME)`
 * handler gets each raw frame. Rules stay in the gateway and RealtimeService: this is plumbing.
 */

/** The event of the gateway handler that receives every raw frame. */
export const RAW_FRAME = 'frame';

/** A frame as `ws` delivered it. */
export interface RawFrame {
  data: RawData;
  isBinary: boolean;
}

/** What a gate decides about one upgrade request. */
export type UpgradeVerdict =
  | { ok: true; principal: Principal }
  /** Refuse with this HTTP status, without upgrading (e.g. WebSocket disabled). */
  | { ok: false; status: number }
  /** Complete the upgrade, then close at once with this code (close codes need an open WebSocket). */
  | { ok: false; closeCode: number; reason: string };

export type UpgradeGate = (req: IncomingMessage) => Promise<UpgradeVerdict>;

type GatedServer = WebSocketServer & { path?: string };

const gates = new WeakMap<WebSocketServer, UpgradeGate>();
const principals = new WeakMap<IncomingMessage, Principal>();

/** Call from the gateway's afterInit: every upgrade to `server` waits for `gate` first. */
export function gateUpgrades(server: WebSocketServer, gate: UpgradeGate): void {
  gates.set(server, gate);
}

/** The Principal the gate admitted for this upgrade request (in handleConnection). */
export function upgradePrincipal(req: IncomingMessage): Principal | undefined {
  return principals.get(req);
}

// How long app.close() lets clients answer the 1001 close before their sockets are destroyed.
const CLOSE_GRACE_MS = 1000;
const GOING_AWAY = 1001;

export class RealtimeWsAdapter extends WsAdapter {
  private readonly upgradeListeners = new Map<number, (req: IncomingMessage, socket: Duplex, head: Buffer) => void>();

  constructor(appOrHttpServer?: INestApplicationContext | object) {
    super(appOrHttpServer);
  }

  /** Installs our upgrade listener (gate first, then handleUpgrade) in place of WsAdapter's. */
  protected override ensureHttpServerExists(port: number, httpServer?: Server): Server | undefined {
    if (this.httpServersRegistry.has(port)) return undefined;
    if (!httpServer) return super.ensureHttpServerExists(port, httpServer); // a gateway on its own port: not ours
    this.httpServersRegistry.set(port, httpServer);
    const listener = (req: IncomingMessage, socket: Duplex, head: Buffer): void => this.onUpgrade(port, req, socket, head);
    httpServer.on('upgrade', listener);
    this.upgradeListeners.set(port, listener);
    return httpServer;
  }

  private onUpgrade(port: number, req: IncomingMessage, socket: Duplex, head: Buffer): void {
    socket.on('error', () => undefined); // a client vanishing mid-handshake must not crash the process
    const path = (req.url ?? '/').split('?', 1)[0];
    const servers = (this.wsServersRegistry.get(port) ?? []) as GatedServer[];
    const wss = servers.find((s) => s.path === path);
    if (!wss) return refuse(socket, 404);
    const gate = gates.get(wss);
    // Fail closed: a server without a gate would admit anyone.
    if (!gate) {
      this.logger.error(`No upgrade gate registered for ${path}`);
      return refuse(socket, 500);
    }
    new Promise<UpgradeVerdict>((resolve) => resolve(gate(req))).then(
      (verdict) => {
        if (socket.destroyed) return;
        if (!verdict.ok && 'status' in verdict) return refuse(socket, verdict.status);
        wss.handleUpgrade(req, socket, head, (ws) => {
          if (!verdict.ok) {
            ws.on('error', () => undefined); // whatever a refused client sends next is not our problem
            return ws.close(verdict.closeCode, verdict.reason);
          }
          principals.set(req, verdict.principal);
          wss.emit('connection', ws, req);
        });
      },
      (err: unknown) => {
        this.logger.error('WebSocket upgrade gate failed', err instanceof Error ? err.stack : String(err));
        refuse(socket, 500);
      },
    );
  }

  /**
   * Every frame, raw, to the gateway's RAW_FRAME handler (through Nest's handler pipeline: filters,
   * guards). The handler answers through RealtimeService, so return values are not sent.
   */
  override bindMessageHandlers(client: WebSocket, handlers: MessageMappingProperties[], transform: (data: unknown) => Observable<unknown>): void {
    const handler = handlers.find((h) => h.message === RAW_FRAME);
    if (!handler) return super.bindMessageHandlers(client, handlers, transform);
    client.on('message', (data: RawData, isBinary: boolean) => {
      const frame: RawFrame = { data, isBinary };
      Promise.resolve(handler.callback(frame, RAW_FRAME)).catch((err: unknown) => this.logger.error(err));
    });
  }

  /**
   * Server errors are logged; client errors (oversized frames, invalid UTF-8) are the gateway's to count:
   * WsAdapter would log each one, a log flood any client could cause.
   */
  override bindErrorHandler(server: WebSocketServer): WebSocketServer {
    server.on('error', (err) => this.logger.error(err));
    return server;
  }

  /**
   * WsAdapter terminates every client here. RealtimeService has already sent 1001 'server shutdown'
   * (beforeApplicationShutdown); clients get a moment to complete that close so it reaches them and
   * they reconnect and resume. Stragglers are then terminated.
   */
  override async close(server: WebSocketServer): Promise<void> {
    const closed = new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    const clients = [...server.clients];
    for (const ws of clients) if (ws.readyState === ws.OPEN) ws.close(GOING_AWAY, 'server shutdown');
    const pending = clients.filter((ws) => ws.readyState !== ws.CLOSED);
    if (pending.length > 0) {
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([
        Promise.all(pending.map((ws) => new Promise((resolve) => ws.once('close', resolve)))),
        new Promise((resolve) => (timer = setTimeout(resolve, CLOSE_GRACE_MS))),
      ]);
      clearTimeout(timer);
    }
    for (const ws of server.clients) ws.terminate();
    await closed;
  }

  override async dispose(): Promise<void> {
    for (const [port, listener] of this.upgradeListeners) (this.httpServersRegistry.get(port) as Server | undefined)?.off('upgrade', listener);
    this.upgradeListeners.clear();
    await super.dispose();
  }
}

function refuse(socket: Duplex, status: number): void {
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}
