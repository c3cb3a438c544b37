// The web chat page: plain JavaScript, no framework, no build step. Message text is always set with
// textContent (never innerHTML), so whatever a message holds is shown as text.
'use strict';
(() => {
  const root = document.querySelector('.chat');
  const botId = root.dataset.botId;
  const maxText = Number(root.dataset.maxText) || 2000;
  const api = `${location.pathname.replace(/\/[^/]*\/?$/, '/')}${botId}/api`;
  const storageKey = `metabot-webchat:${botId}`;
  const $ = (id) => document.getElementById(id);
  const log = $('log');
  const typing = $('typing');
  const chips = $('chips');
  const composer = $('composer');
  const text = $('text');
  const phoneForm = $('phone-form');
  const phone = $('phone');
  const problem = $('problem');
  const connection = $('connection');
  text.maxLength = maxText;

  const rendered = new Set();
  let lastId = 0;
  let visitor;
  let typingTimer;

  const memory = {};
  const store = {
    get() {
      try {
        return JSON.parse(localStorage.getItem(storageKey) || 'null');
      } catch {
        return memory[storageKey] || null;
      }
    },
    set(value) {
      memory[storageKey] = value;
      try {
        if (value) localStorage.setItem(storageKey, JSON.stringify(value));
        else localStorage.removeItem(storageKey);
      } catch {
        // storage disabled: this tab keeps the visitor in memory
      }
    },
  };

  const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
  const randomId = () => Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, '0')).join('');
  const isWebUrl = (value) => {
    try {
      return ['http:', 'https:'].includes(new URL(value).protocol);
    } catch {
      return false;
    }
  };
  const element = (tag, className, content) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined) node.textContent = content;
    return node;
  };

  function showProblem(message) {
    problem.textContent = message || '';
  }

  function showTyping(on) {
    clearTimeout(typingTimer);
    typing.hidden = !on;
    if (on) typingTimer = setTimeout(() => (typing.hidden = true), 15000);
  }

  async function ensureVisitor() {
    visitor = store.get();
    if (visitor && visitor.token) return false;
    const res = await fetch(`${api}/visitors`, { method: 'POST' });
    if (!res.ok) throw new Error(`visitor: HTTP ${res.status}`);
    const body = await res.json();
    visitor = { visitorId: body.visitorId, token: body.token };
    store.set(visitor);
    return true;
  }

  const chip = (label, onTap) => {
    const node = element('button', 'chip', label);
    node.type = 'button';
    node.addEventListener('click', onTap);
    return node;
  };

  /** Chips belong to the newest message when it is the bot's: quick replies (a tap sends the text) or a phone request. */
  function renderChips(message) {
    const offered = (message.direction === 'out' && message.quickReplies) || [];
    const nodes = offered.map((label) => chip(label, () => send({ kind: 'text', text: label })));
    if (message.direction === 'out' && message.requestContact) {
      nodes.push(chip(message.requestContact.buttonText, () => {
        phoneForm.hidden = false;
        phone.focus();
      }));
    }
    chips.replaceChildren(...nodes);
    if (!message.requestContact) phoneForm.hidden = true;
  }

  function renderButtons(message) {
    const group = element('div', 'buttons');
    group.setAttribute('role', 'group');
    group.setAttribute('aria-label', 'Answers');
    for (const row of message.buttons) {
      const line = element('div', 'button-row');
      for (const button of row) {
        if (button.url) {
          if (!isWebUrl(button.url)) continue;
          const link = element('a', 'button', button.text);
          link.href = button.url;
          link.target = '_blank';
          link.rel = 'noopener noreferrer';
          line.append(link);
        } else {
          const tap = element('button', 'button', button.text);
          tap.type = 'button';
          tap.addEventListener('click', () => send({ kind: 'button', messageId: message.id, data: button.data }));
          line.append(tap);
        }
      }
      group.append(line);
    }
    return group;
  }

  function render(message) {
    if (rendered.has(message.id)) return;
    rendered.add(message.id);
    lastId = Math.max(lastId, message.id);
    const fromBot = message.direction === 'out';
    if (fromBot) showTyping(false);
    if (message.id === lastId) renderChips(message);
    if (!message.text && !message.imageUrl && !message.buttons) return;
    const item = element('div', `message ${fromBot ? 'bot' : 'me'}`);
    item.dataset.id = String(message.id);
    item.append(element('span', 'visually-hidden', fromBot ? 'Bot: ' : 'You: '));
    if (message.imageUrl && isWebUrl(message.imageUrl)) {
      const image = element('img', 'image');
      image.src = message.imageUrl;
      image.alt = '';
      image.loading = 'lazy';
      item.append(image);
    }
    if (message.text) item.append(element('p', 'text', message.text));
    if (message.buttons) item.append(renderButtons(message));
    const time = element('time', 'time', new Date(message.createdAt).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }));
    time.dateTime = new Date(message.createdAt).toISOString();
    item.append(time);
    const nearBottom = log.scrollHeight - log.scrollTop - log.clientHeight < 80;
    const later = [...log.children].find((node) => Number(node.dataset.id) > message.id);
    log.insertBefore(item, later || null);
    if (nearBottom || !fromBot) log.scrollTop = log.scrollHeight;
  }

  /** Posts one action; network errors and 5xx are retried with the same id (the server stores it once). */
  async function send(update) {
    const body = JSON.stringify({ ...update, id: randomId() });
    showProblem('');
    for (let attempt = 0; attempt < 4; attempt += 1) {
      try {
        const res = await fetch(`${api}/updates`, { method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${visitor.token}` }, body });
        const answer = await res.json().catch(() => ({}));
        if (res.ok) {
          render(answer.message);
          if (answer.reply) render(answer.reply);
          if (answer.typing) showTyping(true);
          return true;
        }
        if (res.status < 500) {
          showProblem(res.status === 429 ? 'You are sending messages too fast. Please wait a moment.' : answer.message || `Not sent (HTTP ${res.status})`);
          return false;
        }
      } catch {
        // offline or the server restarted: try again
      }
      await sleep(500 * 2 ** attempt);
    }
    showProblem('Not sent: no connection to the chat. Please try again.');
    return false;
  }

  function handleEvent(chunk) {
    let event = 'message';
    const data = [];
    for (const line of chunk.split('\n')) {
      if (line.startsWith('event:')) event = line.slice(6).trim();
      else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
    }
    if (event === 'message' && data.length > 0) render(JSON.parse(data.join('\n')));
  }

  /** The live stream (server-sent events over fetch, so the token travels in a header); reconnects with backoff from the last id seen. */
  async function listen() {
    for (let failures = 0; ; ) {
      try {
        const res = await fetch(`${api}/events?after=${lastId}`, { headers: { authorization: `Bearer ${visitor.token}` }, cache: 'no-store' });
        if (res.status === 401) {
          store.set(null);
          await ensureVisitor();
          continue;
        }
        if (!res.ok || !res.body) throw new Error(`HTTP ${res.status}`);
        connection.textContent = '';
        failures = 0;
        const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
        let buffer = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buffer += value;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            handleEvent(buffer.slice(0, end));
            buffer = buffer.slice(end + 2);
          }
        }
      } catch {
        // dropped: reconnect below
      }
      failures += 1;
      connection.textContent = 'Reconnecting…';
      await sleep(Math.min(30000, 1000 * 2 ** Math.min(failures - 1, 5)) * (0.5 + Math.random() / 2));
    }
  }

  composer.addEventListener('submit', async (event) => {
    event.preventDefault();
    const value = text.value.trim();
    if (!value) return;
    text.value = '';
    if (!(await send({ kind: 'text', text: value }))) text.value = value;
    text.focus();
  });
  text.addEventListener('keydown', (event) => {
    if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
  phoneForm.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (!phone.value.trim()) return;
    if (await send({ kind: 'contact', phone: phone.value.trim() })) {
      phone.value = '';
      text.focus();
    }
  });

  async function start() {
    connection.textContent = 'Connecting…';
    let isNew;
    for (let failures = 0; ; failures += 1) {
      try {
        isNew = await ensureVisitor();
        break;
      } catch {
        await sleep(Math.min(30000, 1000 * 2 ** failures));
      }
    }
    void listen();
    const params = new URLSearchParams(location.search);
    const link = params.get('link');
    if (link) {
      params.delete('link');
      history.replaceState(null, '', `${location.pathname}${params.size ? `?${params}` : ''}${location.hash}`);
      await send({ kind: 'start', link });
    } else if (isNew) {
      await send({ kind: 'start' });
    }
  }

  void start();
})();
