import type { IncomingMessage } from 'node:http';
import {
  ConnectedSocket,
  MessageBody,
  type OnGatewayConnection,
  type OnGatewayDisconnect,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { MAX_CLIENT_FRAME_BYTES, type ClientMessage } from '@lm/protocol';
import type { WebSocket } from 'ws';
import { RealtimeService } from './realtime.service';
import { INVALID_FRAME, type InvalidFrame } from './ws-message-parser';

type Msg<T extends ClientMessage['type']> = Extract<ClientMessage, { type: T }>;

/** Transport only: frames arrive parsed and validated (ws-message-parser); the service does the work. */
@WebSocketGateway({ path: '/ws', maxPayload: MAX_CLIENT_FRAME_BYTES, perMessageDeflate: false })
export class RealtimeGateway implements OnGatewayConnection, OnGatewayDisconnect {
  constructor(private readonly realtime: RealtimeService) {}

  handleConnection(ws: WebSocket, req: IncomingMessage): void {
    this.realtime.connect(ws, req);
  }

  handleDisconnect(ws: WebSocket): void {
    this.realtime.disconnect(ws);
  }

  @SubscribeMessage(INVALID_FRAME)
  invalid(@ConnectedSocket() ws: WebSocket, @MessageBody() body: InvalidFrame): void {
    this.realtime.rejectFrame(ws, body);
  }

  @SubscribeMessage('heartbeat')
  heartbeat(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'heartbeat'>): void {
    this.realtime.heartbeat(ws, m.data);
  }

  @SubscribeMessage('subscribe')
  subscribe(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'subscribe'>): void {
    this.realtime.subscribe(ws, m.data);
  }

  @SubscribeMessage('unsubscribe')
  unsubscribe(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'unsubscribe'>): void {
    this.realtime.unsubscribe(ws, m.data);
  }

  @SubscribeMessage('resume')
  resume(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'resume'>): void {
    this.realtime.resume(ws, m.data);
  }

  @SubscribeMessage('request_latest')
  requestLatest(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'request_latest'>): void {
    this.realtime.requestLatest(ws, m.data);
  }

  @SubscribeMessage('request_status')
  requestStatus(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'request_status'>): void {
    this.realtime.requestStatus(ws, m.data);
  }

  // Reserved until alarms exist: answered, never silently dropped.
  @SubscribeMessage('alarm_ack')
  alarmAck(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'alarm_ack'>): void {
    this.realtime.unavailable(ws, m.type, m.data.request_id);
  }

  @SubscribeMessage('alarm_shelve')
  alarmShelve(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'alarm_shelve'>): void {
    this.realtime.unavailable(ws, m.type, m.data.request_id);
  }

  @SubscribeMessage('alarm_unshelve')
  alarmUnshelve(@ConnectedSocket() ws: WebSocket, @MessageBody() m: Msg<'alarm_unshelve'>): void {
    this.realtime.unavailable(ws, m.type, m.data.request_id);
  }
}
