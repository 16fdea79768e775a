import type { ServerResponse } from 'node:http';
import type { Outgoing, Sink } from '../realtime/connection';

/** Writes a connection's frames as Server-Sent Events: stream messages with `id:` = seq, replies without. */
export class SseSink implements Sink {
  readonly transport = 'sse' as const;

  constructor(private readonly res: ServerResponse) {}

  buffered(): number {
    return this.res.writableLength;
  }

  write(items: readonly (Outgoing | null)[]): number {
    if (this.res.writableEnded || this.res.destroyed) return 0;
    let chunk = '';
    let n = 0;
    for (const item of items) {
      if (item === null) continue;
      n++;
      chunk += typeof item === 'string' ? `data: ${item}\n\n` : item.sse;
    }
    if (chunk) this.res.write(chunk);
    return n;
  }

  /** SSE has no close codes: the reason goes out as a comment, then the stream ends (the client reconnects). */
  close(_code: number, reason: string): void {
    if (this.res.writableEnded || this.res.destroyed) return;
    this.res.end(`: closed: ${reason.replace(/\n/g, ' ')}\n\n`);
  }

  keepAlive(): void {
    if (!this.res.writableEnded && !this.res.destroyed) this.res.write(': keep-alive\n\n');
  }
}
