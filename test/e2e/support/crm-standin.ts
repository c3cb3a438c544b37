import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface StandinRequest {
  method: string;
  path: string;
  /** `:name` segments of the matched route. */
  params: Record<string, string>;
  query: Record<string, string>;
  headers: http.IncomingHttpHeaders;
  body: any;
}

export interface StandinAnswer {
  status?: number;
  body: unknown;
}

/** Routes keyed `"METHOD /path/:param"`; a request no route matches is answered 200 `{"ok":true}`. */
export type StandinRoutes = Record<string, (request: StandinRequest) => StandinAnswer | Promise<StandinAnswer>>;

export interface RecordedCall {
  method: string;
  path: string;
  query: Record<string, string>;
  body: any;
}

export interface CrmStandin {
  url: string;
  /** Every POST/PUT/PATCH as `{path, body}` (the path with its query string), in arrival order. */
  received: Array<{ path: string; body: any }>;
  /** Every request, GETs included. */
  calls: RecordedCall[];
  close(): Promise<void>;
}

function matchRoute(routes: StandinRoutes, method: string, pathname: string) {
  const parts = pathname.split('/');
  for (const [key, handler] of Object.entries(routes)) {
    const [routeMethod, routePath] = key.split(' ');
    const routeParts = routePath.split('/');
    if (routeMethod !== method || routeParts.length !== parts.length) continue;
    const params: Record<string, string> = {};
    const matches = routeParts.every((part, i) => {
      if (part.startsWith(':')) params[part.slice(1)] = decodeURIComponent(parts[i]);
      return part.startsWith(':') || part === parts[i];
    });
    if (matches) return { handler, params };
  }
  return undefined;
}

/**
 * An external JSON API for the workflows to call (a CRM, a quote or weather API, a payment
 * provider): answers with the given routes in the real service's shape and records every call.
 */
export async function startCrmStandin(routes: StandinRoutes = {}): Promise<CrmStandin> {
  const received: CrmStandin['received'] = [];
  const calls: RecordedCall[] = [];
  const server = http.createServer((req, res) => {
    let raw = '';
    req.on('data', (chunk) => (raw += chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://standin');
      const method = req.method ?? 'GET';
      const body = raw ? JSON.parse(raw) : null;
      const query = Object.fromEntries(url.searchParams);
      calls.push({ method, path: url.pathname, query, body });
      if (method !== 'GET') received.push({ path: req.url ?? '', body });
      const route = matchRoute(routes, method, url.pathname);
      const answer = route ? await route.handler({ method, path: url.pathname, params: route.params, query, headers: req.headers, body }) : { body: { ok: true } };
      res.writeHead(answer.status ?? 200, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    calls,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
