import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Browser } from 'playwright-core';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../../backend/test/support/webhook-receiver';
import { describeNeeding } from '../../backend/test/support/describe-needing';
import { eventually } from '../../backend/test/support/eventually';
import { chromiumInstalled, chromiumPath, launchChromium, phoneContext } from './browser';

jest.setTimeout(90_000);

// A real 1×1 PNG: the browser must be able to decode what it is shown.
const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII=', 'base64');

/** Where a bot's files by URL live: every path answers the PNG. */
async function serveFiles(): Promise<{ url: string; close(): Promise<void> }> {
  const server = http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/png' }).end(PNG));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describeNeeding(chromiumInstalled(), `no chromium at ${chromiumPath}: apt-get install chromium`, 'web chat message kinds and a visitor\'s upload in a real browser', () => {
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  let files: { url: string; close(): Promise<void> };
  let browser: Browser;
  let botId: number;
  let token: string;
  const api = (method: string, urlPath: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${urlPath}`, { token, body });

  beforeAll(async () => {
    backend = await startTestBackend({ env: { DELIVERY_POLL_MS: '20', DELIVERY_CHAT_SPACING_MS: '0' } });
    ({ botId, token } = await backend.createBot({ name: 'Gallery' }));
    receiver = await startWebhookReceiver();
    expect((await api('POST', '/subscriptions', { url: receiver.url, events: ['message.received'] })).status).toBe(201);
    browser = await launchChromium();
    files = await serveFiles();
  });
  afterAll(async () => {
    await files?.close();
    await browser?.close();
    await receiver?.close();
    await backend?.close();
  });

  it('shows a file card, a kept picture, players, a map link and an album grid; a visitor sends a picture a workflow receives and a page renamed .png is refused', async () => {
    const page = await (await phoneContext(browser)).newPage();
    const cspViolations: string[] = [];
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.goto(`${backend.url}/chat/${botId}`);
    const visitorId = (await eventually(() => page.evaluate(`(JSON.parse(localStorage.getItem('metabot-webchat:${botId}')) || {}).visitorId`))) as string;
    const lead = await eventually(() => backend.ctx.db('leads').where({ bot_id: botId, channel: 'webchat', chat_id: visitorId }).first());
    const send = async (message: Record<string, unknown>) => expect((await api('POST', '/messages', { leadIds: [lead.id], ...message })).status).toBe(202);

    await send({ text: 'The price list', media: { kind: 'document', url: `${files.url}/docs/prices.pdf` } });
    const card = page.locator('.file-card', { hasText: 'prices.pdf' });
    await card.waitFor();
    expect(await card.getByRole('link', { name: 'Download' }).getAttribute('href')).toBe(`${files.url}/docs/prices.pdf`);

    await send({ text: 'Our shop', media: { kind: 'photo', upload: { data: PNG.toString('base64'), fileName: 'shop.png', mimeType: 'image/png' } } });
    const kept = page.locator('.message.bot', { hasText: 'Our shop' }).locator('img.media');
    await eventually(async () => ((await kept.getAttribute('src')) ?? '').startsWith('blob:') && (await kept.evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 1);

    await send({ text: 'A tour', media: { kind: 'video', url: `${files.url}/tour.mp4` } });
    await send({ text: 'Our jingle', media: { kind: 'audio', url: `${files.url}/jingle.mp3` } });
    await page.locator('.message.bot', { hasText: 'A tour' }).locator('video[controls]').waitFor({ state: 'attached' });
    await page.locator('.message.bot', { hasText: 'Our jingle' }).locator('audio[controls]').waitFor({ state: 'attached' });

    await send({ location: { latitude: 55.7558, longitude: 37.6173 } });
    const map = page.getByRole('link', { name: 'Location on a map: 55.7558, 37.6173' });
    await map.waitFor();
    expect(await map.getAttribute('href')).toBe('https://www.openstreetmap.org/?mlat=55.7558&mlon=37.6173#map=16/55.7558/37.6173');
    expect(await map.getAttribute('rel')).toBe('noopener noreferrer');

    await send({ text: 'The rooms', album: [{ kind: 'photo', url: `${files.url}/1.png` }, { kind: 'photo', url: `${files.url}/2.png`, caption: 'The hall' }] });
    const grid = page.locator('.message.bot', { hasText: 'The rooms' }).locator('.album');
    await grid.locator('.album-item').nth(1).waitFor({ state: 'attached' });
    expect(await grid.locator('.album-item').count()).toBe(2);
    await grid.locator('figcaption', { hasText: 'The hall' }).waitFor();
    await eventually(async () => (await grid.locator('img').nth(0).evaluate((img) => (img as unknown as { naturalWidth: number }).naturalWidth)) === 1);

    // The visitor attaches a picture: progress, then their own message with it, and the workflow gets its file id.
    await page.locator('#attach').setInputFiles({ name: 'receipt.png', mimeType: 'image/png', buffer: PNG });
    const mine = page.locator('.message.me img.media');
    await eventually(async () => ((await mine.getAttribute('src')) ?? '').startsWith('blob:'));
    const received = await eventually(() => receiver.received.map((r) => r.body).find((e) => e.type === 'message.received' && e.data.media?.fileName === 'receipt.png'));
    expect(received.lead.id).toBe(lead.id);
    expect(received.data.media).toMatchObject({ type: 'photo', mimeType: 'image/png', fileSize: PNG.length });
    const download = await fetch(`${backend.url}/api/v1/bots/${botId}/files/${received.data.media.fileId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(Buffer.from(await download.arrayBuffer()).equals(PNG)).toBe(true);

    await page.locator('#attach').setInputFiles({ name: 'cat.png', mimeType: 'image/png', buffer: Buffer.from('<!doctype html><script>alert(1)</script>') });
    await page.locator('#problem', { hasText: 'This kind of file cannot be sent here' }).waitFor();
    expect(cspViolations).toEqual([]);
  });
});
