import type { Envelope } from '@lm/protocol';
import WebSocket from 'ws';
import { waitFor } from './waiting';

/** A real WebSocket client that records every frame, with waits that time out instead of sleeping. */
export class TestWsClient {
  readonly frames: (Envelope & { seq?: number })[] = [];
  closed: { code: number; reason: string } | null = null;

  private constructor(readonly ws: WebSocket) {
    // A Buffer: ws's default binaryType is 'nodebuffer'.
    ws.on('message', (data) => this.frames.push(JSON.parse((data as Buffer).toString('utf8')) as Envelope & { seq?: number }));
    ws.on('close', (code, reason) => (this.closed = { code, reason: String(reason) }));
  }

  static async connect(url: string, headers: Record<string, string> = {}, tls: { ca?: Buffer } = {}): Promise<TestWsClient> {
    const ws = new WebSocket(url, { headers, ...tls });
    const client = new TestWsClient(ws);
    await new Promise<void>((resolve, reject) => {
      ws.once('open', () => resolve());
      ws.once('error', reject);
    });
    return client;
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (from `from` on) that matches. */
  next(match: (f: Envelope & { seq?: number }) => boolean, what: string, timeoutMs = 10_000, from = 0): Promise<Envelope & { seq?: number }> {
    return waitFor(() => this.frames.slice(from).find(match), what, timeoutMs);
  }

  ofType(type: string): (Envelope & { seq?: number })[] {
    return this.frames.filter((f) => f.type === type);
  }

  async close(): Promise<void> {
    if (this.ws.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.ws.once('close', () => resolve());
      this.ws.close();
    });
  }
}
