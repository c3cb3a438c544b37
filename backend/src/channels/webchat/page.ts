import type { Bot } from '../../bots/bots';
import { frameAncestors, type WebchatSettings } from './settings';

const escapeHtml = (value: string) =>
  value.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * The page's Content-Security-Policy: only its own script and style (no inline code, so an
 * injected tag could not run even if one slipped into the DOM), requests to its own origin, framed
 * only by the bot's allowed sites. Pictures, video and audio: from http(s) URLs (a workflow's file
 * by URL, from any host: the page embeds only http(s) ones), and `blob:` — the files kept here,
 * which the page fetches with its token and shows from memory (a token never goes in a URL). No
 * frames, objects or fonts from anywhere: a map is a link, not an embed (docs/security.md).
 */
export function chatPagePolicy(settings: WebchatSettings): string {
  return [
    "default-src 'none'",
    "script-src 'self'",
    "style-src 'self'",
    'img-src http: https: data: blob:',
    'media-src http: https: blob:',
    "connect-src 'self'",
    `frame-ancestors ${frameAncestors(settings)}`,
    "base-uri 'none'",
    "form-action 'none'",
  ].join('; ');
}

/** The full-page chat. Asset paths are relative (`/chat/{botId}` → `/chat/assets/…`), so a path prefix in front of the backend works. */
export function chatPage(bot: Bot, maxText: number, maxUploadBytes: number): string {
  const name = escapeHtml(bot.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${name}</title>
<link rel="stylesheet" href="assets/chat.css">
<script src="assets/chat.js" defer></script>
</head>
<body>
<div class="chat" data-bot-id="${bot.id}" data-max-text="${maxText}" data-max-upload="${maxUploadBytes}">
  <header class="chat-header">
    <h1 id="chat-title">${name}</h1>
    <p id="connection" class="connection" role="status"></p>
  </header>
  <div id="log" class="log" role="log" aria-live="polite" aria-labelledby="chat-title" tabindex="0"></div>
  <p id="typing" class="typing" aria-live="polite" hidden>${name} is typing…</p>
  <div id="chips" class="chips" role="group" aria-label="Quick replies"></div>
  <form id="phone-form" class="composer" hidden>
    <label for="phone" class="visually-hidden">Your phone number</label>
    <input id="phone" type="tel" autocomplete="tel" inputmode="tel" maxlength="32" placeholder="+1 555 123 4567">
    <button type="submit">Share</button>
  </form>
  <form id="composer" class="composer">
    <label for="attach" class="attach" title="Send a picture or a PDF"><span class="visually-hidden">Attach a picture or a PDF</span><span aria-hidden="true">📎</span></label>
    <input id="attach" class="visually-hidden" type="file" accept="image/png,image/jpeg,image/gif,image/webp,application/pdf">
    <label for="text" class="visually-hidden">Message</label>
    <textarea id="text" rows="1" autocomplete="off" placeholder="Write a message…"></textarea>
    <button type="submit">Send</button>
  </form>
  <p id="upload-status" class="upload-status" role="status"></p>
  <p id="problem" class="problem" role="alert"></p>
</div>
</body>
</html>`;
}
