import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { updateBotSettings } from '../../backend/src/bots/bots';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../../backend/test/support/webhook-receiver';
import { describeNeeding } from '../../backend/test/support/describe-needing';
import { eventually } from '../../backend/test/support/eventually';
import type { Browser } from 'playwright-core';
import { chromiumInstalled, chromiumPath, launchChromium, phoneContext } from './browser';
import { startTcpProxy } from './tcp-proxy';

jest.setTimeout(60_000);


/** A web server with one picture, standing in for wherever a bot's images live. */
async function serveParcelImage(): Promise<{ url: string; close(): Promise<void> }> {
  const svg = '<svg xmlns="http://www.w3.org/2000/svg" width="320" height="160"><rect width="320" height="160" rx="12" fill="#f3d9a4"/><rect x="110" y="40" width="100" height="80" rx="6" fill="#b7793a"/><rect x="152" y="40" width="16" height="80" fill="#e8c48a"/></svg>';
  const server = http.createServer((_req, res) => void res.writeHead(200, { 'content-type': 'image/svg+xml' }).end(svg));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

describeNeeding(chromiumInstalled(), `no chromium at ${chromiumPath}: apt-get install chromium`, 'the web chat in a real browser (chromium, 360 px wide)', () => {
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  let images: { url: string; close(): Promise<void> };
  let browser: Browser;
  let botId: number;
  let token: string;
  const api = (method: string, urlPath: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${urlPath}`, { token, body });
  const eventsOf = (type: string) => receiver.received.filter((r) => r.headers['x-metabot-event'] === type).map((r) => r.body);
  const leadOfPage = async (page: Page) => {
    const visitorId = (await page.evaluate(`JSON.parse(localStorage.getItem('metabot-webchat:${botId}')).visitorId`)) as string;
    return eventually(() => backend.ctx.db('leads').where({ bot_id: botId, channel: 'webchat', chat_id: visitorId }).first());
  };
  const send = async (page: Page, text: string) => {
    await page.getByLabel('Message').fill(text);
    await page.getByLabel('Message').press('Enter');
  };

  beforeAll(async () => {
    backend = await startTestBackend({ env: { DELIVERY_POLL_MS: '20', DELIVERY_CHAT_SPACING_MS: '0' } });
    ({ botId, token } = await backend.createBot({ name: 'Corner Shop' }));
    receiver = await startWebhookReceiver();
    const subscribed = await api('POST', '/subscriptions', { url: receiver.url, events: ['message.received', 'button.pressed', 'bot.started', 'contact.shared'] });
    expect(subscribed.status).toBe(201);
    browser = await launchChromium();
    images = await serveParcelImage();
  });
  afterAll(async () => {
    await images?.close();
    await browser?.close();
    await receiver?.close();
    await backend?.close();
  });

  it('a visitor writes, the subscriber gets message.received, a reply with buttons appears, a tap resumes the waiting send, a reload keeps the history', async () => {
    const page = await (await phoneContext(browser)).newPage();
    await page.goto(`${backend.url}/chat/${botId}`);
    await send(page, 'Hi, where is my order?');
    await page.locator('.message.me', { hasText: 'Hi, where is my order?' }).waitFor();
    await page.locator('#typing').waitFor({ state: 'visible' });

    const received = await eventually(() => eventsOf('message.received').find((e) => e.data.text === 'Hi, where is my order?'));
    expect(received.lead).toMatchObject({ channel: 'webchat' });
    const lead = await leadOfPage(page);
    expect(received.lead.id).toBe(lead.id);

    const asked = await api('POST', '/messages', {
      leadIds: [lead.id],
      text: 'Order 1042 ships today. Shall we deliver it after 18:00?',
      buttons: [[{ text: 'Yes, after 18:00', data: 'late' }, { text: 'No', data: 'no' }], [{ text: 'Track it', url: 'https://example.com/track/1042' }]],
      wait: { resumeUrl: `${receiver.url}/resume/order-1042`, mode: 'buttons', timeoutSeconds: 600 },
    });
    expect(asked.status).toBe(202);
    const yes = page.getByRole('button', { name: 'Yes, after 18:00' });
    await yes.waitFor();
    await page.locator('#typing').waitFor({ state: 'hidden' });
    expect(await page.getByRole('link', { name: 'Track it' }).getAttribute('href')).toBe('https://example.com/track/1042');
    await eventually(() => backend.ctx.db('message_waits').where({ message_id: asked.body.messageId }).first());

    await yes.click();
    const resume = await eventually(() => receiver.received.find((r) => r.path === '/webhook/resume/order-1042'));
    expect(resume.body).toMatchObject({ status: 'answered', answer: { buttonData: 'late' }, leadId: lead.id, messageId: asked.body.messageId });
    await page.locator('.message.me', { hasText: 'Yes, after 18:00' }).waitFor();

    const noted = await api('POST', '/messages', { leadIds: [lead.id], text: 'Noted! Your parcel:', imageUrl: `${images.url}/parcel.png`, quickReplies: ['Track my order', 'Talk to a human'] });
    expect(noted.status).toBe(202);
    const chip = page.getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: 'Track my order' });
    await chip.waitFor();
    await eventually(() => page.locator('#log .image').first().evaluate((image) => (image as unknown as { naturalWidth: number }).naturalWidth > 0));
    if (process.env.WEBCHAT_SCREENSHOT === '1') await page.screenshot({ path: path.resolve(__dirname, '../../docs/webchat.png') });
    await chip.click();
    await eventually(() => eventsOf('message.received').find((e) => e.data.text === 'Track my order'));
    await page.locator('.message.me', { hasText: 'Track my order' }).waitFor();
    expect(await page.locator('#chips .chip').count()).toBe(0);

    await page.reload();
    await page.locator('.message.bot', { hasText: 'Order 1042 ships today' }).waitFor();
    const texts = await page.locator('#log .message .text').allTextContents();
    expect(texts).toEqual(['Hi, where is my order?', 'Order 1042 ships today. Shall we deliver it after 18:00?', 'Yes, after 18:00', 'Noted! Your parcel:', 'Track my order']);
    expect(await page.evaluate(`localStorage.getItem('metabot-webchat:${botId}')`)).toContain(lead.chat_id);
    await page.context().close();
  });

  it('a link from the CRM ties the visitor to the user; after a dropped connection the page catches up from its last message; the phone chip shares a phone', async () => {
    const issued = await api('POST', '/link-tokens', { userId: 'crm-501' });
    const proxy = await startTcpProxy(backend.url);
    const context = await phoneContext(browser);
    const page = await context.newPage();
    await page.goto(issued.body.webchatUrl.replace(backend.ctx.config.publicUrl, proxy.url));
    await page.locator('.message.bot', { hasText: 'connected to your account' }).waitFor();
    expect(page.url()).not.toContain('link=');
    const lead = await leadOfPage(page);
    expect(await backend.ctx.db('links').where({ lead_id: lead.id, user_id: 'crm-501', status: 'connected' }).first()).toBeDefined();

    proxy.cut();
    await page.locator('#connection', { hasText: 'Reconnecting' }).waitFor();
    const sent = await api('POST', '/messages', { userIds: ['crm-501'], text: 'Sent while you were offline' });
    expect(sent.status).toBe(202);
    await eventually(async () => (await backend.ctx.db('message_recipients').where({ message_id: sent.body.messageId, status: 'sent' }).first()) !== undefined);
    proxy.restore();
    await page.locator('.message.bot', { hasText: 'Sent while you were offline' }).waitFor({ timeout: 20_000 });
    expect(await page.locator('#connection').textContent()).toBe('');
    expect(await page.locator('.message.bot', { hasText: 'connected to your account' }).count()).toBe(1);

    await api('POST', '/messages', { userIds: ['crm-501'], text: 'To call you about the delivery:', requestContact: { buttonText: 'Share my phone' } });
    await page.getByRole('group', { name: 'Quick replies' }).getByRole('button', { name: 'Share my phone' }).click();
    await page.getByLabel('Your phone number').fill('+7 918 777-77-77');
    await page.getByLabel('Your phone number').press('Enter');
    const shared = await eventually(() => eventsOf('contact.shared').find((e) => e.userId === 'crm-501'));
    expect(shared.data.contact).toMatchObject({ verified: false });
    await page.locator('.message.bot', { hasText: 'Thank you' }).waitFor();
    expect(await page.locator('#phone-form').isHidden()).toBe(true);
    await context.close();
    await proxy.close();
  });

  it('an injection attempt, from the visitor or in a template, renders as text and runs nothing', async () => {
    const page = await (await phoneContext(browser)).newPage();
    const dialogs: string[] = [];
    page.on('dialog', (dialog) => {
      dialogs.push(dialog.message());
      void dialog.dismiss();
    });
    await page.goto(`${backend.url}/chat/${botId}`);
    const attack = '<img src=x onerror="window.__pwned=1;alert(1)"><script>window.__pwned=2</script>';
    await send(page, attack);
    await page.locator('.message.me .text').filter({ hasText: '<script>' }).waitFor();

    const lead = await leadOfPage(page);
    await api('PATCH', `/leads/${lead.id}/attributes`, { attributes: { nickname: attack } });
    for (const parseMode of [undefined, 'HTML']) {
      const sent = await api('POST', '/messages', { leadIds: [lead.id], text: `Hello {{ lead.attributes.nickname }} ${parseMode ?? 'plain'}`, ...(parseMode ? { parseMode } : {}) });
      expect(sent.status).toBe(202);
    }
    await page.locator('.message.bot .text', { hasText: 'HTML' }).waitFor();
    await page.locator('.message.bot .text', { hasText: 'plain' }).waitFor();
    expect(await page.locator('.message.me .text').first().textContent()).toBe(attack);
    expect(await page.locator('.message.bot .text', { hasText: 'HTML' }).textContent()).toBe(`Hello ${attack} HTML`);
    expect(await page.locator('#log script, #log img, #log [onerror]').count()).toBe(0);
    await page.waitForTimeout(300);
    expect(await page.evaluate('window.__pwned')).toBeUndefined();
    expect(dialogs).toEqual([]);
    await page.context().close();
  });

  it('embeds on an allowed site with one script tag, and a site off the allow-list cannot frame it', async () => {
    // The host site runs on another origin: localhost instead of 127.0.0.1.
    const host = http.createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' }).end(`<!doctype html><title>Shop</title><h1>Shop</h1><script src="${backend.url}/chat/${botId}/embed.js" data-label="Questions?"></script>`);
    });
    await new Promise<void>((resolve) => host.listen(0, '127.0.0.1', resolve));
    const hostUrl = `http://localhost:${(host.address() as AddressInfo).port}`;
    try {
      await updateBotSettings(backend.ctx, botId, { webchat: { allowedOrigins: [hostUrl] } });
      const page = await (await phoneContext(browser)).newPage();
      await page.goto(hostUrl);
      const launcher = page.getByRole('button', { name: 'Questions?' });
      await launcher.click();
      expect(await launcher.getAttribute('aria-expanded')).toBe('true');
      const chat = page.frameLocator('iframe[title="Chat"]');
      // The chat is ready once its live stream is open (the "Connecting…" line clears); a person
      // types after the chat shows, and a slow CI machine may take seconds to get there.
      // Read through the locator: the chat's CSP forbids eval, so a page-side polling function would fail.
      await eventually(async () => (await chat.locator('#connection').textContent()) === '', 30_000);
      await chat.getByLabel('Message').fill('Hello from the shop page');
      await chat.getByLabel('Message').press('Enter');
      await chat.locator('.message.me', { hasText: 'Hello from the shop page' }).waitFor({ timeout: 20_000 }).catch(async (error: Error) => {
        throw new Error(`${error.message}\nthe chat's problem line: ${await chat.locator('#problem').textContent()}`);
      });
      await eventually(() => eventsOf('message.received').find((e) => e.data.text === 'Hello from the shop page'));

      await updateBotSettings(backend.ctx, botId, { webchat: { allowedOrigins: [] } });
      const refusals: string[] = [];
      page.on('console', (message) => void (/frame-ancestors/.test(message.text()) && refusals.push(message.text())));
      await page.reload();
      const framed = page.waitForResponse((response) => /\/chat\/\d+\?embed=1$/.test(response.url()));
      await page.getByRole('button', { name: 'Questions?' }).click();
      expect((await framed).headers()['content-security-policy']).toContain("frame-ancestors 'self';");
      await eventually(() => refusals.length > 0);
      expect(await page.frameLocator('iframe[title="Chat"]').locator('#log').count()).toBe(0);
      await page.context().close();
    } finally {
      await new Promise<void>((resolve) => host.close(() => resolve()));
    }
  });
});
