/** The part of the browser's EventSource the client uses, so Node can pass its own. */
export interface EventSourceLike {
  onopen: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: string; lastEventId?: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  close(): void;
}

export type EventSourceConstructor = new (url: string) => EventSourceLike;

type Timer = ReturnType<typeof setTimeout>;

/**
 * A small EventSource over `fetch` streams for Node (20+ has fetch but no EventSource): `data:` events,
 * `id:` remembered and sent back as `Last-Event-ID` on reconnect, `retry:` honoured, comments ignored.
 */
export class FetchEventSource implements EventSourceLike {
  onopen: ((ev: unknown) => void) | null = null;
  onmessage: ((ev: { data: string; lastEventId?: string }) => void) | null = null;
  onerror: ((ev: unknown) => void) | null = null;
  private lastEventId = '';
  private retryMs = 2000;
  private closed = false;
  private abort: AbortController | null = null;
  private timer: Timer | undefined;

  constructor(private readonly url: string) {
    // run() never rejects: it reports failures through onerror and schedules its own retry.
    void this.run();
  }

  close(): void {
    this.closed = true;
    clearTimeout(this.timer);
    this.abort?.abort();
  }

  private async run(): Promise<void> {
    if (this.closed) return;
    this.abort = new AbortController();
    try {
      const headers: Record<string, string> = { Accept: 'text/event-stream' };
      if (this.lastEventId) headers['Last-Event-ID'] = this.lastEventId;
      const res = await fetch(this.url, { headers, signal: this.abort.signal });
      if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
      this.onopen?.({});
      const decoder = new TextDecoder();
      let buffer = '';
      let data: string[] = [];
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          const line = buffer.slice(0, nl).replace(/\r$/, '');
          buffer = buffer.slice(nl + 1);
          if (line === '') {
            if (data.length > 0 && !this.closed) this.onmessage?.({ data: data.join('\n'), lastEventId: this.lastEventId });
            data = [];
          } else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
          else if (line.startsWith('id:')) this.lastEventId = line.slice(3).trim();
          else if (line.startsWith('retry:')) {
            const n = Number(line.slice(6).trim());
            if (Number.isFinite(n) && n >= 0) this.retryMs = n;
          }
        }
      }
      if (!this.closed) this.onerror?.(new Error('stream ended'));
    } catch (error) {
      if (!this.closed) this.onerror?.(error);
    }
    if (!this.closed) this.timer = setTimeout(() => void this.run(), this.retryMs);
  }
}
