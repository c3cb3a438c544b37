import express, { type Router } from 'express';
// The package's index evaluates the whole browser bundle (a quarter second of CPU per start); the path is all we need.
import getAbsoluteFSPath from 'swagger-ui-dist/absolute-path';

const escapeAttr = (value: string) => value.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

/** Swagger UI from swagger-ui-dist's files (works offline), pointed at one OpenAPI document. */
export function swaggerPage(title: string, specUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeAttr(title)}</title><link rel="stylesheet" href="/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui" data-spec-url="${escapeAttr(specUrl)}"></div>
<script src="/docs/assets/swagger-ui-bundle.js"></script>
<script>
  const root = document.getElementById('swagger-ui');
  window.ui = SwaggerUIBundle({ url: root.dataset.specUrl, dom_id: '#swagger-ui', persistAuthorization: true });
</script>
</body></html>`;
}

export function swaggerAssets(): Router {
  const router = express.Router();
  router.use('/docs/assets', express.static(getAbsoluteFSPath(), { index: false, maxAge: '1d' }));
  return router;
}
