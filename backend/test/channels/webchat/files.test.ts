import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { createToken } from '../../../src/bots/tokens';
import { waitUntilDone } from '../../support/delivery';
import { eventually } from '../../support/eventually';
import { dialect, startTestBackend, type TestBackend } from '../../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../../support/webhook-receiver';
import { newVisitor, type TestVisitor } from '../../support/webchat';

jest.setTimeout(60_000);

const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), crypto.randomBytes(64)]);
const SVG = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>');
const HTML = Buffer.from('<!doctype html><html><body><script>alert(document.cookie)</script></body></html>');
const MAX_UPLOAD = 64 * 1024;

describe(`web chat: every message kind, and files from visitors (${dialect})`, () => {
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  let botId: number;
  let token: string;
  const api = (method: string, urlPath: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${urlPath}`, { token, body });
  const fileOf = (visitor: TestVisitor, messageId: number, index = 0) =>
    fetch(`${backend.url}/chat/${botId}/api/files/${messageId}/${index}`, { headers: { authorization: `Bearer ${visitor.token}` } });
  const upload = (visitor: TestVisitor, bytes: Buffer, name: string, id: string = crypto.randomUUID()) =>
    backend.request('POST', `/chat/${botId}/api/uploads?id=${id}&name=${encodeURIComponent(name)}`, { rawBody: bytes as unknown as string, headers: { authorization: `Bearer ${visitor.token}`, 'content-type': 'application/octet-stream' } });
  async function leadOf(visitor: TestVisitor) {
    await visitor.send({ kind: 'start' });
    return eventually(() => backend.ctx.db('leads').where({ bot_id: botId, channel: 'webchat', chat_id: visitor.visitorId }).first());
  }
  async function delivered(leadId: string, message: Record<string, unknown>) {
    const sent = await api('POST', '/messages', { leadIds: [leadId], ...message });
    expect(sent.status).toBe(202);
    return waitUntilDone(backend, botId, token, sent.body.messageId);
  }
  const lastOut = async (visitor: TestVisitor) => (await visitor.history()).body.messages.filter((m: { direction: string }) => m.direction === 'out').pop();

  beforeAll(async () => {
    backend = await startTestBackend({ env: { DELIVERY_POLL_MS: '20', DELIVERY_CHAT_SPACING_MS: '0', WEBCHAT_UPLOAD_MAX_BYTES: String(MAX_UPLOAD) } });
    ({ botId, token } = await backend.createBot({ name: 'Files bot' }));
    receiver = await startWebhookReceiver();
    expect((await api('POST', '/subscriptions', { url: receiver.url, events: ['message.received'] })).status).toBe(201);
  });
  afterAll(async () => {
    await receiver?.close();
    await backend?.close();
  });

  it('delivers a document, video, audio, voice and animation by URL, a location and an album as the page renders them', async () => {
    const visitor = await newVisitor(backend, botId);
    const lead = await leadOf(visitor);
    for (const kind of ['document', 'video', 'audio', 'voice', 'animation']) {
      const status = await delivered(lead.id, { text: `Your ${kind}`, media: { kind, url: `https://files.example.com/a/${kind}%20file.bin` } });
      expect(status.counts.sent).toBe(1);
      expect(await lastOut(visitor)).toMatchObject({ text: `Your ${kind}`, media: { kind, url: `https://files.example.com/a/${kind}%20file.bin`, name: `${kind} file.bin` } });
    }
    await delivered(lead.id, { location: { latitude: 55.7558, longitude: 37.6173 } });
    expect(await lastOut(visitor)).toMatchObject({ location: { latitude: 55.7558, longitude: 37.6173 } });
    const album = [{ kind: 'photo', url: 'https://files.example.com/1.jpg' }, { kind: 'video', url: 'https://files.example.com/2.mp4', caption: 'The hall' }];
    await delivered(lead.id, { text: 'Our room', album });
    expect(await lastOut(visitor)).toMatchObject({ text: 'Our room', album: [{ kind: 'photo', url: 'https://files.example.com/1.jpg' }, { kind: 'video', url: 'https://files.example.com/2.mp4', caption: 'The hall' }] });
  });

  it('serves a file uploaded with a send to the visitor it was sent to only: a picture inline, anything else as an attachment, never as a page', async () => {
    const visitor = await newVisitor(backend, botId);
    const other = await newVisitor(backend, botId);
    await leadOf(other);
    const lead = await leadOf(visitor);
    await delivered(lead.id, { text: 'A photo', media: { kind: 'photo', upload: { data: PNG.toString('base64'), fileName: 'shop.png', mimeType: 'image/png' } } });
    const photo = await lastOut(visitor);
    expect(photo.media).toMatchObject({ kind: 'photo', name: 'shop.png', size: PNG.length });
    const got = await fileOf(visitor, photo.id);
    expect(got.status).toBe(200);
    expect(got.headers.get('content-type')).toBe('image/png');
    expect(got.headers.get('x-content-type-options')).toBe('nosniff');
    expect(Buffer.from(await got.arrayBuffer()).equals(PNG)).toBe(true);
    expect((await fileOf(other, photo.id)).status).toBe(404);
    expect((await fetch(`${backend.url}/chat/${botId}/api/files/${photo.id}/0`)).status).toBe(401);

    // Declared a picture, it is a script-bearing SVG: served as bytes to download.
    await delivered(lead.id, { text: 'Not a picture', media: { kind: 'photo', upload: { data: SVG.toString('base64'), fileName: 'x.svg', mimeType: 'image/png' } } });
    const svg = await fileOf(visitor, (await lastOut(visitor)).id);
    expect(svg.status).toBe(200);
    expect(svg.headers.get('content-type')).toBe('application/octet-stream');
    expect(svg.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(svg.headers.get('content-security-policy')).toContain('sandbox');
  });

  it('refuses a Telegram file id for a visitor, with the reason', async () => {
    const visitor = await newVisitor(backend, botId);
    const lead = await leadOf(visitor);
    const status = await delivered(lead.id, { text: 'x', media: { kind: 'document', fileId: 'BQACAgIAAxkBAAIB' } });
    expect(status.counts.failed).toBe(1);
    expect(status.recipients[0].error).toMatch(/file id only of a file a web-chat visitor sent/);
  });

  it('takes a PNG from a visitor: stored 0600, message.received with its file id, downloadable with a messages token, shown back to that visitor only', async () => {
    const visitor = await newVisitor(backend, botId);
    const other = await newVisitor(backend, botId);
    await leadOf(visitor);
    const answer = await upload(visitor, PNG, 'my photo.png');
    expect(answer.status).toBe(202);
    expect(answer.body.message).toMatchObject({ direction: 'in', media: { kind: 'photo', name: 'my photo.png', size: PNG.length, mimeType: 'image/png' } });
    const received = await eventually(() => receiver.received.map((r) => r.body).find((e) => e.type === 'message.received' && e.data.media?.fileName === 'my photo.png'));
    expect(received.data.media).toMatchObject({ type: 'photo', mimeType: 'image/png', fileSize: PNG.length });
    const fileId: string = received.data.media.fileId;
    expect(fileId).toMatch(/^wcf_[A-Za-z0-9_-]{22}$/);
    expect(fs.statSync(path.join(backend.dataDir, 'webchat-files', fileId)).mode & 0o777).toBe(0o600);

    const download = await fetch(`${backend.url}/api/v1/bots/${botId}/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);
    const stranger = await backend.createBot({ name: 'Another bot' });
    expect((await fetch(`${backend.url}/api/v1/bots/${stranger.botId}/files/${fileId}`, { headers: { authorization: `Bearer ${stranger.token}` } })).status).toBe(404);
    const { token: callOnly } = await createToken(backend.ctx, { botId, scopes: ['call'] });
    expect((await fetch(`${backend.url}/api/v1/bots/${botId}/files/${fileId}`, { headers: { authorization: `Bearer ${callOnly}` } })).status).toBe(403);

    expect((await fileOf(visitor, answer.body.message.id)).status).toBe(200);
    expect((await fileOf(other, answer.body.message.id)).status).toBe(404);

    // A workflow passes the visitor's file on by its id: the web chat shows it.
    const lead = await eventually(() => backend.ctx.db('leads').where({ bot_id: botId, channel: 'webchat', chat_id: visitor.visitorId }).first());
    await delivered(lead.id, { text: 'Got it', media: { kind: 'photo', fileId } });
    const echoed = await lastOut(visitor);
    expect(echoed.media).toMatchObject({ kind: 'photo', ref: `w:${fileId}` });
    expect((await fileOf(visitor, echoed.id)).headers.get('content-type')).toBe('image/png');
  });

  it('refuses a page renamed .png (by its content), an empty file and a file over the limit, in the documented shape; a repeated upload is stored once', async () => {
    const visitor = await newVisitor(backend, botId);
    const html = await upload(visitor, HTML, 'cat.png');
    expect(html.status).toBe(422);
    expect(html.body).toMatchObject({ success: false, errorCode: 422, errors: [{ path: 'file' }] });
    expect(html.body.errors[0].message).toMatch(/PNG, JPEG, GIF or WebP picture or a PDF/);
    const svg = await upload(visitor, SVG, 'logo.svg');
    expect(svg.status).toBe(422);
    const empty = await upload(visitor, Buffer.alloc(0), 'nothing.png');
    expect(empty.body).toMatchObject({ success: false, errorCode: 422, errors: [{ path: 'file', message: 'no bytes' }] });
    const big = await upload(visitor, Buffer.concat([PNG, Buffer.alloc(MAX_UPLOAD)]), 'big.png');
    expect(big.status).toBe(413);
    expect(big.body).toMatchObject({ success: false, message: 'The file is larger than 0.1 MB', errors: [{ path: 'file', message: `at most ${MAX_UPLOAD} bytes` }] });
    expect(typeof big.body.trace_id).toBe('string');

    const id = crypto.randomUUID();
    const first = await upload(visitor, PNG, 'twice.png', id);
    const again = await upload(visitor, PNG, 'twice.png', id);
    expect(again.body.message.id).toBe(first.body.message.id);
    const files = await backend.ctx.db('webchat_files').where({ visitor_id: visitor.visitorId });
    expect(files).toHaveLength(1);
    expect(fs.readdirSync(path.join(backend.dataDir, 'webchat-files')).filter((name) => name === files[0].file_id)).toHaveLength(1);
  });

  it('counts uploads in the visitor\'s per-minute limit under concurrency (429), keeping no bytes of a refused one', async () => {
    const limited = await startTestBackend({ env: { WEBCHAT_VISITOR_PER_MINUTE: '2' } });
    try {
      const bot = await limited.createBot({ name: 'Limited' });
      const visitor = await newVisitor(limited, bot.botId);
      const up = () => limited.request('POST', `/chat/${bot.botId}/api/uploads?id=${crypto.randomUUID()}&name=a.png`, { rawBody: PNG as unknown as string, headers: { authorization: `Bearer ${visitor.token}`, 'content-type': 'application/octet-stream' } });
      // Six at once: the count and the insert are one statement, so exactly two get in, and the refused leave no bytes behind.
      const answers = await Promise.all(Array.from({ length: 6 }, () => up()));
      expect(answers.map((a) => a.status).sort()).toEqual([202, 202, 429, 429, 429, 429]);
      expect(answers.find((a) => a.status === 429)!.headers.get('retry-after')).toBeTruthy();
      const kept = await limited.ctx.db('webchat_files');
      expect(kept).toHaveLength(2);
      expect(fs.readdirSync(path.join(limited.dataDir, 'webchat-files')).sort()).toEqual(kept.map((f) => f.file_id).sort());
    } finally {
      await limited.close();
    }
  });
});
