import type { Socket } from 'node:net';
import type { WebSocket } from 'ws';
import type { Outgoing, Sink } from './connection';

// One options object for every send: a Buffer sent as a text frame, never compressed.
const TEXT = { binary: false, compress: false } as const;

/** Writes a connection's frames to its WebSocket, corked so a turn's frames leave in one syscall. */
export class WsSink implements Sink {
  readonly transport = 'websocket' as const;

  constructor(private readonly ws: WebSocket) {}

  buffered(): number {
    return this.ws.bufferedAmount;
  }

  write(items: readonly (Outgoing | null)[], batch: boolean): number {
    const ws = this.ws;
    if (ws.readyState !== ws.OPEN) return 0;
    // ws has no public cork; its net.Socket does (ws itself corks header + payload the same way).
    const socket = (ws as unknown as { _socket?: Socket })._socket;
    socket?.cork();
    let n = 0;
    let parts: string[] | null = null;
    for (const item of items) {
      if (item === null) continue;
      n++;
      if (batch && typeof item !== 'string') {
        (parts ??= []).push(item.frame);
        continue;
      }
      if (parts) {
        ws.send(batchFrame(parts), TEXT);
        parts = null;
      }
      if (typeof item === 'string') ws.send(item, TEXT);
      else ws.send(item.buf, TEXT);
    }
    if (parts) ws.send(batchFrame(parts), TEXT);
    socket?.uncork();
    return n;
  }

  ping(): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.ping();
  }

  close(code: number, reason: string): void {
    if (code === 1006) this.ws.terminate();
    else this.ws.close(code, reason);
  }
}

/** `{"type":"batch",...}` around already serialised envelopes: concatenation, no re-serialising. */
function batchFrame(frames: string[]): string {
  return `{"type":"batch","timestamp":"${new Date().toISOString()}","data":{"messages":[${frames.join(',')}]}}`;
}
