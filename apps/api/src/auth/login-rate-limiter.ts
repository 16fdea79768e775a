/** Fixed-window counters in memory (one api instance; behind several, nginx's limit_req is the outer wall). */
export class WindowCounter {
  private readonly windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** Seconds until `key` may try again, or 0 when it is under the limit. */
  retryAfter(key: string): number {
    const w = this.windows.get(key);
    const now = this.now();
    if (!w || w.resetAt <= now) return 0;
    return w.count >= this.limit ? Math.max(1, Math.ceil((w.resetAt - now) / 1000)) : 0;
  }

  hit(key: string): void {
    const now = this.now();
    const w = this.windows.get(key);
    if (!w || w.resetAt <= now) this.windows.set(key, { count: 1, resetAt: now + this.windowMs });
    else w.count += 1;
    if (this.windows.size > 100_000) this.sweep(now);
  }

  reset(key: string): void {
    this.windows.delete(key);
  }

  private sweep(now: number): void {
    for (const [k, w] of this.windows) if (w.resetAt <= now) this.windows.delete(k);
  }
}

/**
 * Login attempts: every attempt counts against the client address (one host guessing many usernames),
 * failures count against the username (many hosts guessing one password); a success clears the username.
 */
export class LoginRateLimiter {
  private readonly byAddress: WindowCounter;
  private readonly byUser: WindowCounter;

  constructor(limits: { perUser: number; perAddress: number; windowSeconds: number }, now: () => number = Date.now) {
    this.byAddress = new WindowCounter(limits.perAddress, limits.windowSeconds * 1000, now);
    this.byUser = new WindowCounter(limits.perUser, limits.windowSeconds * 1000, now);
  }

  /** Seconds to wait, or 0: call before checking the password. Counts the attempt when allowed. */
  attempt(username: string, address: string): number {
    const wait = Math.max(this.byAddress.retryAfter(address), this.byUser.retryAfter(username.toLowerCase()));
    if (wait === 0) this.byAddress.hit(address);
    return wait;
  }

  failed(username: string): void {
    this.byUser.hit(username.toLowerCase());
  }

  succeeded(username: string): void {
    this.byUser.reset(username.toLowerCase());
  }
}
