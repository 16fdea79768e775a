import { describe, expect, it } from '@jest/globals';
import { resolveApiBase, toWebSocketUrl, type PageLocation } from './api-url';

const page = (href: string): PageLocation => {
  const u = new URL(href);
  return { protocol: u.protocol, hostname: u.hostname, port: u.port, origin: u.origin };
};

describe(resolveApiBase.name, () => {
  it('uses PUBLIC_API_URL when the server set it (trailing slash dropped)', () => {
    expect(resolveApiBase(' https://scada.example.com/lm/ ', page('http://localhost:3000/'))).toBe('https://scada.example.com/lm');
  });

  it('uses port 8080 of the same host when the page comes from port 3000', () => {
    expect(resolveApiBase('', page('http://10.1.2.3:3000/'))).toBe('http://10.1.2.3:8080');
    expect(resolveApiBase(undefined, page('http://localhost:3000/x'))).toBe('http://localhost:8080');
  });

  it('uses the page origin otherwise (behind nginx)', () => {
    expect(resolveApiBase('', page('https://scada.example.com/'))).toBe('https://scada.example.com');
    expect(resolveApiBase('', page('http://host:8443/'))).toBe('http://host:8443');
  });
});

describe(toWebSocketUrl.name, () => {
  it('maps http to ws and https to wss and appends /ws', () => {
    expect(toWebSocketUrl('http://localhost:8080')).toBe('ws://localhost:8080/ws');
    expect(toWebSocketUrl('https://scada.example.com')).toBe('wss://scada.example.com/ws');
    expect(toWebSocketUrl('https://scada.example.com/lm')).toBe('wss://scada.example.com/lm/ws');
  });
});
