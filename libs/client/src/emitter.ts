/** Event name -> listener argument tuple. */
export type EventMap = { [event: string]: unknown[] };

export type Listener<A extends unknown[]> = (...args: A) => void;

/**
 * A tiny typed event emitter. Ours rather than Node's `events` so the client runs unchanged in the
 * browser without a polyfill.
 */
export class TypedEmitter<E extends EventMap> {
  // Listeners are stored untyped; `on` is the only way in, so each set holds listeners of its event.
  private readonly listeners = new Map<keyof E, Set<unknown>>();

  /** @param onListenerError called when a listener throws; the other listeners still run. */
  constructor(private readonly onListenerError: (error: unknown, event: keyof E) => void = defaultListenerError) {}

  /** Subscribes; returns the unsubscribe function (handy as a React effect cleanup). */
  on<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    let set = this.listeners.get(event);
    if (!set) {
      set = new Set();
      this.listeners.set(event, set);
    }
    set.add(listener);
    return () => this.off(event, listener);
  }

  once<K extends keyof E>(event: K, listener: Listener<E[K]>): () => void {
    const off = this.on(event, ((...args: E[K]) => {
      off();
      listener(...args);
    }));
    return off;
  }

  off<K extends keyof E>(event: K, listener: Listener<E[K]>): void {
    const set = this.listeners.get(event);
    if (!set) return;
    set.delete(listener);
    if (set.size === 0) this.listeners.delete(event);
  }

  listenerCount<K extends keyof E>(event: K): number {
    return this.listeners.get(event)?.size ?? 0;
  }

  removeAllListeners(): void {
    this.listeners.clear();
  }

  protected emit<K extends keyof E>(event: K, ...args: E[K]): void {
    const set = this.listeners.get(event);
    if (!set) return;
    // Copy so a listener that unsubscribes (once) does not disturb the iteration.
    for (const listener of [...set]) {
      try {
        (listener as Listener<E[K]>)(...args);
      } catch (error) {
        // One broken subscriber must not stop the stream for the others.
        this.onListenerError(error, event);
      }
    }
  }
}

function defaultListenerError(error: unknown, event: PropertyKey): void {
  console.error(`[realtime-client] listener for "${String(event)}" threw`, error);
}
