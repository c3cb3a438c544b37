import express, { type Router } from 'express';
// The package's index evaluates the whole browser bundle (a quarter second of CPU per start); the path is all we need.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path';

const escapeAttr = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(title: string, specUrl: string, script: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeAttr(title)}</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec-url="${escapeAttr(specUrl)}"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
  const root = document.getElementById('swagger-ui');
${script}
</script>
</body></html>`;
}

/** Swagger UI from swagger-ui-dist's files (works offline), pointed at one public OpenAPI document. */
export function swaggerPage(title: string, specUrl: string): string {
  return page(title, specUrl, `  window.ui = SwaggerUIBundle({ url: root.dataset.specUrl, dom_id: '#swagger-ui', persistAuthorization: true });`);
}

/**
 * Swagger UI for a document that needs a bearer token. It starts from a stand-in document that has
 * only the bearer scheme, so the Authorize button is there; the token given to it (or kept from an
 * earlier visit by persistAuthorization) fetches the real document, and a refused token says so.
 */
export function tokenSwaggerPage(title: string, specUrl: string): string {
  return page(title, specUrl, `  const specUrl = root.dataset.specUrl;
  const standIn = (note) => JSON.stringify({ openapi: '3.1.0', info: { title: document.title, version: '1', description: note }, paths: {},
    components: { securitySchemes: { bearerAuth: { type: 'http', scheme: 'bearer' } } } });
  const ask = 'Authorize with an API token that has the "maps" or "call" scope of this bot.';
  async function load(token) {
    const res = await fetch(specUrl, { headers: { authorization: 'Bearer ' + token } });
    window.ui.specActions.updateSpec(res.ok ? await res.text() : standIn('The token was refused (' + res.status + '). ' + ask));
  }
  const loadOnAuthorize = () => ({ statePlugins: { auth: { wrapActions: { authorize: (authorize) => (payload) => {
    const done = authorize(payload);
    if (payload && payload.bearerAuth && payload.bearerAuth.value) load(payload.bearerAuth.value);
    return done;
  } } } } });
  function keptToken() {
    try { return JSON.parse(localStorage.getItem('authorized') || '{}').bearerAuth.value; } catch { return undefined; }
  }
  window.ui = SwaggerUIBundle({ spec: JSON.parse(standIn(ask)), dom_id: '#swagger-ui', persistAuthorization: true, plugins: [loadOnAuthorize] });
  if (keptToken()) load(keptToken());`);
}

export function swaggerAssets(): Router {
  const router = express.Router();
  router.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1d' }));
  return router;
}
