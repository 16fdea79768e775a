import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import { CloseCode, type Channel } from '@lm/protocol';
import { WS_AUTHENTICATOR, type WsAuthenticator } from '../auth/principal';
import { APP_CONFIG, type AppConfig } from '../config/app-config';
import { RealtimeService } from '../realtime/realtime.service';
import type { EventsQuery } from './dto/events.query';
import { SseSink } from './sse-sink';

/** Server-Sent Events: the live stream for networks that block WebSocket, through the same hub. */
@Injectable()
export class EventsService {
  constructor(
    private readonly realtime: RealtimeService,
    @Inject(WS_AUTHENTICATOR) private readonly authenticator: WsAuthenticator,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  async open(req: IncomingMessage, res: ServerResponse, query: EventsQuery): Promise<void> {
    // The same rules as a WebSocket upgrade (token, Origin); refusals become FastAPI-style errors.
    const auth = await this.authenticator.authenticate(req);
    if (!auth.ok) return refuse(res, auth.closeCode === CloseCode.FORBIDDEN ? 403 : 401, auth.reason);
    const admission = this.realtime.admit(auth.principal);
    if (!admission.ok) return refuse(res, admission.code === CloseCode.TOO_MANY_CONNECTIONS ? 429 : 503, admission.reason, { 'Retry-After': '10' });

    res.writeHead(200, {
      'Content-Type': 'text/event-stream; charset=utf-8',
      'Cache-Control': 'no-cache, no-transform',
      Connection: 'keep-alive',
      // nginx: do not buffer this response.
      'X-Accel-Buffering': 'no',
    });
    res.write('retry: 2000\n\n');
    const sink = new SseSink(res);
    const conn = this.realtime.attach(sink, auth.principal);
    this.realtime.setSubscription(conn, list(query.lines), list(query.channels) as Channel[] | null);
    const lastId = header(req, 'last-event-id') ?? query.last_event_id;
    if (lastId !== undefined && /^\d{1,15}$/.test(lastId)) this.realtime.resumeFrom(conn, query.epoch ?? null, Number(lastId));
    const keepAlive = setInterval(() => sink.keepAlive(), this.config.realtime.sseKeepAliveMs);
    res.on('close', () => {
      clearInterval(keepAlive);
      this.realtime.detach(conn);
    });
  }
}

function list(v: string | undefined): string[] | null {
  if (v === undefined || v === '') return null;
  return v.split(',').map((s) => s.trim()).filter((s) => s.length > 0);
}

function header(req: IncomingMessage, name: string): string | undefined {
  const v = req.headers[name];
  return Array.isArray(v) ? v[0] : v;
}

function refuse(res: ServerResponse, status: number, detail: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
  res.end(JSON.stringify({ detail }));
}
