import type { IncomingMessage } from 'node:http';

/**
 * The client's address. X-Forwarded-For only counts when TRUST_PROXY is set (we run behind our own nginx),
 * and then only its last entry (the one nginx appended); otherwise anyone could pick a fresh address per
 * login attempt and walk around the rate limit.
 */
export function clientAddress(req: IncomingMessage, trustProxy: boolean): string {
  if (trustProxy) {
    const xff = req.headers['x-forwarded-for'];
    const last = (Array.isArray(xff) ? xff.join(',') : (xff ?? '')).split(',').map((s) => s.trim()).filter(Boolean).pop();
    if (last) return last;
  }
  return req.socket.remoteAddress ?? 'unknown';
}
