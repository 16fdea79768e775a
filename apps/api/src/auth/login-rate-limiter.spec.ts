import { describe, expect, it } from '@jest/globals';
import { LoginRateLimiter } from './login-rate-limiter';

describe(LoginRateLimiter.name, () => {
  it('limits failures per username across addresses, and a success clears them', () => {
    let t = 0;
    const l = new LoginRateLimiter({ perUser: 3, perAddress: 100, windowSeconds: 60 }, () => t);
    for (const addr of ['a', 'b', 'c']) {
      expect(l.attempt('Admin', addr)).toBe(0);
      l.failed('Admin');
    }
    expect(l.attempt('admin', 'd')).toBe(60);
    expect(l.attempt('operator', 'd')).toBe(0);
    t = 59_500;
    expect(l.attempt('admin', 'd')).toBe(1);
    t = 60_000;
    expect(l.attempt('admin', 'd')).toBe(0);
    l.failed('admin');
    l.succeeded('admin');
    expect(l.attempt('admin', 'd')).toBe(0);
  });

  it('limits every attempt per address, whatever the username', () => {
    const l = new LoginRateLimiter({ perUser: 100, perAddress: 2, windowSeconds: 10 }, () => 0);
    expect(l.attempt('u1', '10.0.0.1')).toBe(0);
    expect(l.attempt('u2', '10.0.0.1')).toBe(0);
    expect(l.attempt('u3', '10.0.0.1')).toBe(10);
    expect(l.attempt('u3', '10.0.0.2')).toBe(0);
  });
});
