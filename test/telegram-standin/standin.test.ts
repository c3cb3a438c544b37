import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { HttpError } from 'grammy';
import { telegramError, useGrammySuite } from './grammy-suite';

describe('Telegram Bot API stand-in', () => {
  // Telegram's limits on: some tests here hit them.
  const telegram = useGrammySuite({});
  afterEach(() => telegram.standin.setLimits({ enabled: true }));

  it('answers getMe and records sent messages with their time, in Telegram\'s envelope', async () => {
    const { bot, api } = telegram.newBot({ username: 'shop_bot' });
    expect(await api.getMe()).toMatchObject({ is_bot: true, username: 'shop_bot', id: bot.id });
    const before = Date.now();
    const sent = await api.sendMessage(42, '<b>Hi</b>', { parse_mode: 'HTML', reply_markup: { inline_keyboard: [[{ text: 'Yes', callback_data: 'yes' }, { text: 'Site', url: 'https://example.com' }]] } });
    expect(sent).toMatchObject({ message_id: 1, chat: { id: 42, type: 'private' }, text: '<b>Hi</b>' });
    const [record] = bot.messagesTo(42);
    expect(record).toMatchObject({ chatId: 42, method: 'sendMessage', parseMode: 'HTML', text: '<b>Hi</b>' });
    expect(record.at).toBeGreaterThanOrEqual(before);
    const photo = await api.sendPhoto(42, 'https://example.com/a.png', { caption: 'pic' });
    expect(photo.message_id).toBe(2);

    const raw = await fetch(`${telegram.standin.apiRoot}/bot${bot.token}/sendMessage`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ chat_id: 42, text: '' }) });
    expect(raw.status).toBe(400);
    expect(await raw.json()).toEqual({ ok: false, error_code: 400, description: 'Bad Request: message text is empty' });
    expect((await fetch(`${telegram.standin.apiRoot}/botnot-a-token/getMe`)).status).toBe(401);
  });

  it('refuses text Telegram cannot parse and invalid buttons', async () => {
    const { api } = telegram.newBot();
    expect((await telegramError(api.sendMessage(1, '<b>open', { parse_mode: 'HTML' }))).description).toMatch(/can't parse entities/);
    expect((await telegramError(api.sendMessage(1, 'Price 5.00', { parse_mode: 'MarkdownV2' }))).description).toMatch(/reserved/);
    expect((await telegramError(api.sendMessage(1, 'x', { reply_markup: { inline_keyboard: [[{ text: 'a', callback_data: 'x'.repeat(65) }]] } }))).description).toBe('Bad Request: BUTTON_DATA_INVALID');
  });

  it('limits a private chat to short bursts, a group to 20/min and a bot to 30/s, with retry_after', async () => {
    const { api } = telegram.newBot();
    for (let i = 0; i < 3; i++) await api.sendMessage(5, `burst ${i}`);
    const chatLimited = await telegramError(api.sendMessage(5, 'one too many'));
    expect(chatLimited.error_code).toBe(429);
    expect(chatLimited.parameters.retry_after).toBeGreaterThanOrEqual(1);

    for (let i = 0; i < 20; i++) await api.sendMessage(-100, `group ${i}`);
    expect((await telegramError(api.sendMessage(-100, 'x'))).parameters.retry_after).toBeGreaterThan(1);

    const { api: other } = telegram.newBot();
    const results = await Promise.allSettled(Array.from({ length: 31 }, (_, i) => other.sendMessage(1000 + i, 'fan-out')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(30);
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(1);

    const { api: paid } = telegram.newBot();
    const paidResults = await Promise.allSettled(Array.from({ length: 60 }, (_, i) => paid.sendMessage(2000 + i, 'paid', { allow_paid_broadcast: true })));
    expect(paidResults.every((r) => r.status === 'fulfilled')).toBe(true);
  });

  it('lets limits be switched off for capacity runs', async () => {
    telegram.standin.setLimits({ enabled: false });
    const { bot, api } = telegram.newBot();
    await Promise.all(Array.from({ length: 50 }, (_, i) => api.sendMessage(7, `m${i}`)));
    expect(bot.messagesTo(7)).toHaveLength(50);
    expect(bot.rejected.rateLimited).toBe(0);
  });

  it('plays users through long polling: text, /start payload, contact, button taps, block and unblock', async () => {
    const { bot, api } = telegram.newBot();
    bot.setUser(77, { first_name: 'Anna', username: 'anna' });
    const waiting = api.getUpdates({ offset: 0, timeout: 5 });
    bot.userSends(77, 'hello');
    const [first] = await waiting;
    expect(first.message).toMatchObject({ text: 'hello', from: { id: 77, first_name: 'Anna' }, chat: { id: 77, type: 'private' } });

    bot.userStarts(77, 'tok123');
    bot.shareContact(77, '+79990001122');
    bot.shareContact(77, '+70000000000', { own: false });
    const next = await api.getUpdates({ offset: first.update_id + 1, timeout: 0 });
    expect(next.map((u) => u.message?.text ?? u.message?.contact?.phone_number)).toEqual(['/start tok123', '+79990001122', '+70000000000']);
    expect(next[0].message?.entities?.[0]).toMatchObject({ type: 'bot_command', length: 6 });
    expect(next[1].message?.contact?.user_id).toBe(77);
    expect(next[2].message?.contact?.user_id).toBeUndefined();

    const sent = await api.sendMessage(77, 'Pick', { reply_markup: { inline_keyboard: [[{ text: 'A', callback_data: 'pick:a' }]] } });
    const tap = bot.tapButton(77, 'pick:a');
    bot.blockBot(77);
    const more = await api.getUpdates({ offset: next[2].update_id + 1, timeout: 0 });
    expect(more[0].callback_query).toMatchObject({ data: 'pick:a', message: { message_id: sent.message_id } });
    expect(more[1].my_chat_member?.new_chat_member.status).toBe('kicked');
    await api.answerCallbackQuery(tap.callbackQueryId, { text: 'ok' });
    expect(bot.callbackAnswer(tap.callbackQueryId)).toMatchObject({ text: 'ok' });

    const blocked = await telegramError(api.sendMessage(77, 'still there?'));
    expect(blocked.error_code).toBe(403);
    expect(blocked.description).toBe('Forbidden: bot was blocked by the user');
    bot.unblockBot(77);
    await api.sendMessage(77, 'welcome back');
    const confirmed = await api.getUpdates({ offset: more[1].update_id + 1, timeout: 0 });
    expect(confirmed[0].my_chat_member?.new_chat_member.status).toBe('member');
  });

  it('a second getUpdates terminates the first with 409', async () => {
    const { api } = telegram.newBot();
    const first = api.getUpdates({ timeout: 5 });
    await new Promise((r) => setTimeout(r, 50));
    const second = api.getUpdates({ timeout: 0 });
    expect((await telegramError(first)).error_code).toBe(409);
    expect(await second).toEqual([]);
  });

  it('injects 5xx answers, dropped connections and slow answers', async () => {
    const { bot, api } = telegram.newBot();
    bot.failNext(1, { status: 502, description: 'Bad Gateway' });
    expect((await telegramError(api.sendMessage(1, 'x'))).error_code).toBe(502);
    bot.failNext(1, { status: 'reset', method: 'sendMessage' });
    expect(await api.sendMessage(1, 'x').catch((e: unknown) => e)).toBeInstanceOf(HttpError);
    telegram.standin.latencyMs = 150;
    const started = Date.now();
    await api.sendMessage(1, 'slow');
    telegram.standin.latencyMs = 0;
    expect(Date.now() - started).toBeGreaterThanOrEqual(140);
    expect(bot.messagesTo(1).map((m) => m.text)).toEqual(['slow']);
  });

  it('delivers updates to a webhook with the secret token header and retries until it answers 2xx', async () => {
    const received: Array<{ secret?: string; body: { update_id: number } }> = [];
    let failFirst = true;
    const receiver = http.createServer((req, res) => {
      let raw = '';
      req.on('data', (c) => (raw += c));
      req.on('end', () => {
        if (failFirst) {
          failFirst = false;
          res.writeHead(500).end();
          return;
        }
        received.push({ secret: req.headers['x-telegram-bot-api-secret-token'] as string, body: JSON.parse(raw) });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', () => r()));
    const { bot, api } = telegram.newBot();
    try {
      await api.setWebhook(`http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`, { secret_token: 's3cret' });
      expect((await telegramError(api.getUpdates())).error_code).toBe(409);
      bot.userSends(9, 'one');
      bot.userSends(9, 'two');
      const deadline = Date.now() + 5000;
      while (received.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      expect(received.map((r) => r.secret)).toEqual(['s3cret', 's3cret']);
      expect(received.map((r) => (r.body as { message?: { text: string } }).message?.text)).toEqual(['one', 'two']);
      expect((await api.getWebhookInfo()).last_error_message).toMatch(/500/);
      await api.deleteWebhook();
      expect((await api.getWebhookInfo()).url).toBe('');
    } finally {
      receiver.closeAllConnections();
      await new Promise((r) => receiver.close(r));
    }
  });
});
