// The web chat page: plain JavaScript, no framework, no build step. Message text is always set with
// textContent (never innerHTML), so whatever a message holds is shown as text.
'use strict';
(() => {
  const root = document.querySelector('.chat');
  const botId = root.dataset.botId;
  const maxText = Number(root.dataset.maxText) || 2000;
  const maxUpload = Number(root.dataset.maxUpload) || 10 * 1024 * 1024;
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
  const attach = $('attach');
  const uploadStatus = $('upload-status');
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

  const formatSize = (bytes) => {
    if (!Number.isFinite(bytes) || bytes < 0) return '';
    if (bytes < 1024) return `${bytes} B`;
    if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
    return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  };
  // Only these types become a blob the browser may show; any other file is an opaque download.
  const inlineTypes = ['image/png', 'image/jpeg', 'image/gif', 'image/webp', 'video/mp4', 'video/webm', 'audio/ogg', 'audio/mpeg', 'audio/wav'];

  /** A file kept by the backend, fetched with the token (never in a URL) and shown from memory as a blob: URL. */
  async function storedFileUrl(messageId, index, download) {
    const res = await fetch(`${api}/files/${messageId}/${index}`, { headers: { authorization: `Bearer ${visitor.token}` } });
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    const type = (res.headers.get('content-type') || '').split(';')[0].trim();
    const blob = await res.blob();
    return URL.createObjectURL(new Blob([blob], { type: !download && inlineTypes.includes(type) ? type : 'application/octet-stream' }));
  }

  const tagOfKind = { photo: 'img', animation: 'video', video: 'video', audio: 'audio', voice: 'audio' };

  /** A picture, a player or (for a document, or a file that cannot be shown) a file card; null for a URL that is not http(s). */
  function renderFile(message, file, index) {
    const byUrl = typeof file.url === 'string';
    if (byUrl && !isWebUrl(file.url)) return null;
    if (!byUrl && !file.ref) return null;
    const tag = tagOfKind[file.kind];
    if (!tag) return fileCard(message, file, index);
    const node = element(tag, `media ${file.kind}`);
    if (tag === 'img') {
      node.alt = file.caption || file.name || 'Picture';
      node.loading = 'lazy';
    } else {
      node.controls = file.kind !== 'animation';
      node.preload = 'metadata';
      if (file.kind === 'animation') Object.assign(node, { autoplay: true, loop: true, muted: true, playsInline: true });
      node.setAttribute('aria-label', file.caption || file.name || file.kind);
    }
    if (byUrl) node.src = file.url;
    else storedFileUrl(message.id, index, false).then((url) => (node.src = url), () => node.replaceWith(fileCard(message, file, index)));
    return node;
  }

  function fileCard(message, file, index) {
    const card = element('div', 'file-card');
    card.append(element('span', 'file-icon', '📄'));
    const about = element('span', 'file-about');
    about.append(element('span', 'file-name', file.name || 'File'));
    if (file.size !== undefined) about.append(element('span', 'file-size', formatSize(file.size)));
    card.append(about);
    if (file.url) {
      const link = element('a', 'file-download', 'Download');
      link.href = file.url;
      link.target = '_blank';
      link.rel = 'noopener noreferrer';
      card.append(link);
    } else {
      const get = element('button', 'file-download', 'Download');
      get.type = 'button';
      get.addEventListener('click', async () => {
        try {
          const save = element('a');
          save.href = await storedFileUrl(message.id, index, true);
          save.download = file.name || 'file';
          save.click();
          setTimeout(() => URL.revokeObjectURL(save.href), 60000);
        } catch {
          showProblem('The file could not be downloaded. Please try again.');
        }
      });
      card.append(get);
    }
    return card;
  }

  function renderAlbum(message) {
    const grid = element('div', 'album');
    message.album.forEach((file, index) => {
      const node = renderFile(message, file, index);
      if (!node) return;
      const cell = element('figure', 'album-item');
      cell.append(node);
      if (file.caption) cell.append(element('figcaption', 'caption', file.caption));
      grid.append(cell);
    });
    return grid;
  }

  /** A map link built from the two numbers alone (no third-party embed). */
  function renderLocation({ latitude, longitude }) {
    if (!Number.isFinite(latitude) || !Number.isFinite(longitude) || Math.abs(latitude) > 90 || Math.abs(longitude) > 180) return null;
    const link = element('a', 'location', `📍 ${latitude.toFixed(5)}, ${longitude.toFixed(5)}`);
    link.href = `https://www.openstreetmap.org/?mlat=${latitude}&mlon=${longitude}#map=16/${latitude}/${longitude}`;
    link.target = '_blank';
    link.rel = 'noopener noreferrer';
    link.setAttribute('aria-label', `Location on a map: ${latitude}, ${longitude}`);
    return link;
  }

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
    if (!message.text && !message.imageUrl && !message.buttons && !message.media && !message.album && !message.location) return;
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
    const files = [message.media && renderFile(message, message.media, 0), message.album && renderAlbum(message), message.location && renderLocation(message.location)];
    for (const node of files) if (node) item.append(node);
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
          showAnswer(answer);
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

  function showAnswer(answer) {
    render(answer.message);
    if (answer.reply) render(answer.reply);
    if (answer.typing) showTyping(true);
  }

  /** Sends a picture or PDF (XMLHttpRequest: fetch cannot report upload progress); the server checks its type by content. */
  function upload(file) {
    showProblem('');
    if (file.size > maxUpload) {
      showProblem(`The file is larger than ${formatSize(maxUpload)}.`);
      return;
    }
    const request = new XMLHttpRequest();
    request.open('POST', `${api}/uploads?id=${randomId()}&name=${encodeURIComponent(file.name || 'file')}`);
    request.setRequestHeader('authorization', `Bearer ${visitor.token}`);
    request.setRequestHeader('content-type', 'application/octet-stream');
    request.upload.addEventListener('progress', (event) => {
      if (event.lengthComputable) uploadStatus.textContent = `Sending ${file.name}: ${Math.round((100 * event.loaded) / event.total)}%`;
    });
    request.addEventListener('load', () => {
      uploadStatus.textContent = '';
      let answer = {};
      try {
        answer = JSON.parse(request.responseText);
      } catch {
        // not JSON: the status says enough
      }
      if (request.status >= 200 && request.status < 300) return showAnswer(answer);
      const detail = answer.errors && answer.errors[0] ? `: ${answer.errors[0].message}` : '';
      showProblem(request.status === 429 ? 'You are sending messages too fast. Please wait a moment.' : `${answer.message || `Not sent (HTTP ${request.status})`}${detail}`);
    });
    request.addEventListener('error', () => {
      uploadStatus.textContent = '';
      showProblem('Not sent: no connection to the chat. Please try again.');
    });
    uploadStatus.textContent = `Sending ${file.name}…`;
    request.send(file);
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
  attach.addEventListener('change', () => {
    const file = attach.files && attach.files[0];
    attach.value = '';
    if (file) upload(file);
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
