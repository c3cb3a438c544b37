import { useSyncExternalStore } from 'react';

/** The page is one document; where it is lives in the fragment (`#/bots/1/traces?userId=…`), so the backend serves one file. */
export interface Route {
  path: string[];
  params: URLSearchParams;
}

function subscribe(onChange: () => void): () => void {
  window.addEventListener('hashchange', onChange);
  return () => window.removeEventListener('hashchange', onChange);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribe, () => window.location.hash);
  const [path, search = ''] = hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), params: new URLSearchParams(search) };
}

export function href(path: Array<string | number>, params?: Record<string, string | number | undefined>): string {
  const search = new URLSearchParams(Object.entries(params ?? {}).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => [k, String(v)])).toString();
  return `#/${path.map((p) => encodeURIComponent(String(p))).join('/')}${search ? `?${search}` : ''}`;
}

export function go(path: Array<string | number>, params?: Record<string, string | number | undefined>): void {
  window.location.hash = href(path, params);
}
