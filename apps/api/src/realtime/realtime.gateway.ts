import type { IncomingMessage } from 'node:http';
import { Inject, Logger } from '@nestjs/common';
import { type OnGatewayConnection, type OnGatewayDisconnect, type OnGatewayInit, SubscribeMessage, WebSocketGateway } from '@nestjs/websockets';
import { ErrorCode, MAX_CLIENT_FRAME_BYTES, echoOriginal, parseClientFrame } from '@lm/protocol';
import type { WebSocket, WebSocketServer } from 'ws';
import { WS_AUTHENTICATOR, type WsAuthenticator } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import type { Connection } from './connection';
import { RAW_FRAME, type RawFrame, type UpgradeVerdict, gateUpgrades, upgradePrincipal } from './realtime-ws.adapter';
import { RealtimeService } from './realtime.service';
import { WsSink } from './ws-sink';

export const WS_PATH = '/ws';

/**
 * The /ws transport on the HTTP server's port (through RealtimeWsAdapter): authenticates each upgrade
 * before accepting it, turns raw frames into validated client messages (or `error` frames) and hands
 * them to RealtimeService.
 */
@WebSocketGateway({ path: WS_PATH, maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false })
export class RealtimeGateway implements OnGatewayInit, OnGatewayConnection, OnGatewayDisconnect {
  private readonly logger = new Logger(RealtimeGateway.name);
  private readonly connections = new WeakMap<WebSocket, Connection>();

  constructor(
    private readonly realtime: RealtimeService,
    @Inject(WS_AUTHENTICATOR) private readonly authenticator: WsAuthenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  afterInit(server: WebSocketServer): void {
    gateUpgrades(server, (req) => this.admitUpgrade(req));
  }

  /** Runs before the upgrade is accepted: refusals after auth are closed with the authenticator's code. */
  async admitUpgrade(req: IncomingMessage): Promise<UpgradeVerdict> {
    // WS_ENABLED=false stands in for a proxy that blocks WebSocket: clients must use SSE.
    if (!this.config.realtime.wsEnabled) return { ok: false, status: 403 };
    const auth = await this.authenticator.authenticate(req);
    if (!auth.ok) return { ok: false, closeCode: auth.closeCode, reason: auth.reason };
    const admission = this.realtime.admit(auth.principal);
    if (!admission.ok) return { ok: false, closeCode: admission.code, reason: admission.reason };
    return { ok: true, principal: auth.principal };
  }

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    const principal = upgradePrincipal(req);
    if (!principal) {
      this.logger.error('WebSocket connection without an admitted principal');
      ws.on('error', () => undefined);
      return ws.close(1011, 'internal error');
    }
    const conn = this.realtime.attach(new WsSink(ws), principal);
    this.connections.set(ws, conn);
    ws.on('pong', () => this.realtime.pong(conn));
    // Oversized frames (closed 1009 by ws), invalid UTF-8, bad opcodes: counted, only this client goes.
    ws.on('error', () => this.realtime.countError());
  }

  handleDisconnect(ws: WebSocket): void {
    const conn = this.connections.get(ws);
    if (conn) this.realtime.detach(conn);
  }

  // Every frame, raw (RealtimeWsAdapter): binary and unparsable ones are answered, floods counted.
  // No @ConnectedSocket/@MessageBody: the global validation pipe has nothing to do per frame.
  @SubscribeMessage(RAW_FRAME)
  onFrame(ws: WebSocket, frame: RawFrame): void {
    const conn = this.connections.get(ws);
    if (!conn) return;
    const { data, isBinary } = frame;
    if (isBinary) {
      if (this.realtime.received(conn)) {
        this.realtime.rejectFrame(conn, { code: ErrorCode.BINARY_NOT_SUPPORTED, message: 'Binary frames are not supported: send JSON text frames' });
      }
      return;
    }
    const raw = Buffer.isBuffer(data) ? data.toString('utf8') : Array.isArray(data) ? Buffer.concat(data).toString('utf8') : Buffer.from(data).toString('utf8');
    const parsed = parseClientFrame(raw);
    if (!this.realtime.received(conn, parsed.ok ? parsed.message.data.request_id : parsed.request_id)) return;
    if (!parsed.ok) {
      this.realtime.rejectFrame(conn, { code: parsed.code, message: parsed.message, original_message: echoOriginal(raw), request_id: parsed.request_id });
      return;
    }
    // Fire and forget, frames are independent: handle() catches every failure and answers it with an error frame.
    void this.realtime.handle(conn, parsed.message);
  }
}
