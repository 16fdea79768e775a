/** JSON from the api with the tab's token; throws an Error carrying the api's `detail`. */
export async function apiJson<T>(
  apiBase: string,
  path: string,
  token: string | null | undefined,
  init: RequestInit = {},
  signal?: AbortSignal,
): Promise<T> {
  const headers = new Headers(init.headers);
  if (token) headers.set('authorization', `Bearer ${token}`);
  if (init.body) headers.set('content-type', 'application/json');
  const res = await fetch(`${apiBase}${path}`, { ...init, headers, signal });
  if (!res.ok) {
    let detail = `HTTP ${res.status}`;
    try {
      const body = (await res.json()) as { detail?: unknown };
      if (typeof body.detail === 'string') detail = body.detail;
    } catch {
      // not JSON: keep the status
    }
    throw new Error(detail);
  }
  return (await res.json()) as T;
}
