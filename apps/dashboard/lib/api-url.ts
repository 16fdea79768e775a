/** The parts of `window.location` the API address depends on. */
export interface PageLocation {
  protocol: string;
  hostname: string;
  port: string;
  origin: string;
}

/** Port `next start` serves the dashboard on in development; the API is then on 8080 of the same host. */
const DEV_DASHBOARD_PORT = '3000';
const DEV_API_PORT = '8080';

/**
 * Base URL of the API, decided in the browser at run time (never at build time):
 * `PUBLIC_API_URL` when the server set it; else the same host on 8080 when the page comes from the
 * dashboard's dev port 3000; else the page's own origin (behind nginx, which routes /api and /ws).
 */
export function resolveApiBase(configured: string | undefined, page: PageLocation): string {
  const explicit = configured?.trim();
  if (explicit) return explicit.replace(/\/+$/, '');
  if (page.port === DEV_DASHBOARD_PORT) return `${page.protocol}//${page.hostname}:${DEV_API_PORT}`;
  return page.origin;
}

/** The WebSocket endpoint for an API base: http -> ws, https -> wss, plus `/ws`. */
export function toWebSocketUrl(apiBase: string): string {
  const url = new URL(apiBase);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  url.pathname = `${url.pathname.replace(/\/+$/, '')}/ws`;
  url.search = '';
  url.hash = '';
  return url.toString();
}
