// Embeds a bot's web chat on any page: <script src="https://backend/chat/{botId}/embed.js" defer></script>
// A button opens a panel holding the chat page in an iframe; the chat runs on the backend's origin, so
// the host page never sees the visitor's token, and the backend's frame-ancestors allow-list decides
// which sites may show it. Optional attributes: data-label (button text), data-link (a link token).
'use strict';
(() => {
  const script = document.currentScript;
  if (!script || !script.src) return;
  const source = new URL(script.src);
  if (!/\/chat\/\d+\/embed\.js$/.test(source.pathname)) return;
  const chatUrl = new URL(source.pathname.replace(/\/embed\.js$/, ''), source);
  chatUrl.searchParams.set('embed', '1');
  if (script.dataset.link) chatUrl.searchParams.set('link', script.dataset.link);

  const panelId = `metabot-chat-${Math.random().toString(36).slice(2)}`;
  const launcher = document.createElement('button');
  launcher.type = 'button';
  launcher.textContent = script.dataset.label || 'Chat with us';
  launcher.setAttribute('aria-expanded', 'false');
  launcher.setAttribute('aria-controls', panelId);
  Object.assign(launcher.style, {
    position: 'fixed', right: '16px', bottom: '16px', zIndex: '2147483000', minHeight: '48px', padding: '0 20px',
    border: '0', borderRadius: '24px', background: '#1f6feb', color: '#fff', font: '600 16px system-ui, sans-serif',
    boxShadow: '0 4px 14px rgba(0,0,0,.25)', cursor: 'pointer',
  });

  const panel = document.createElement('iframe');
  panel.id = panelId;
  panel.title = script.dataset.title || 'Chat';
  panel.hidden = true;
  Object.assign(panel.style, {
    position: 'fixed', right: '16px', bottom: '80px', zIndex: '2147483000', width: 'min(380px, calc(100vw - 32px))',
    height: 'min(600px, calc(100vh - 112px))', border: '1px solid #d4d8de', borderRadius: '12px', background: '#fff',
    boxShadow: '0 8px 28px rgba(0,0,0,.25)',
  });

  const toggle = (open) => {
    if (open && !panel.src) panel.src = chatUrl.href;
    panel.hidden = !open;
    launcher.setAttribute('aria-expanded', String(open));
    if (open) panel.focus();
  };
  launcher.addEventListener('click', () => toggle(panel.hidden));
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape' && !panel.hidden) {
      toggle(false);
      launcher.focus();
    }
  });

  const mount = () => document.body.append(panel, launcher);
  if (document.body) mount();
  else document.addEventListener('DOMContentLoaded', mount);
})();
