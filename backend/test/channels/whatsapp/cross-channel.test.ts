import { setTelegramToken } from '../../../src/channels/telegram/telegram-store';
import { setWhatsappAccount } from '../../../src/channels/whatsapp/whatsapp-store';
import { eventually } from '../../support/eventually';
import { TelegramStandin, waitUntilDone } from '../../support/delivery';
import { dialect, startTestBackend, type TestBackend } from '../../support/test-backend';
import { WhatsappStandin } from '../../support/whatsapp';

describe(`one person in Telegram and WhatsApp (${dialect})`, () => {
  let telegram: TelegramStandin;
  let whatsapp: WhatsappStandin;
  let backend: TestBackend;
  beforeAll(async () => {
    telegram = await TelegramStandin.start({ limits: { enabled: false } });
    whatsapp = await WhatsappStandin.start();
    backend = await startTestBackend({ env: { TELEGRAM_API_ROOT: telegram.apiRoot, WHATSAPP_API_ROOT: whatsapp.apiRoot, DELIVERY_POLL_MS: '20', SECRET_KEY: 'c'.repeat(64) } });
  });
  afterAll(async () => {
    await backend?.close();
    await whatsapp?.close();
    await telegram?.close();
  });

  it('channel all reaches both leads, channel last the one the person used last; the user shows both', async () => {
    const { botId, token } = await backend.createBot();
    const tg = telegram.createBot();
    await setTelegramToken(backend.ctx, botId, tg.token);
    const number = whatsapp.createNumber();
    await setWhatsappAccount(backend.ctx, botId, number.credentials, null);
    number.webhookUrl = `${backend.url}/whatsapp/${botId}/webhook`;

    tg.userSends(5150, 'hi from Telegram');
    const tgLead = await eventually(() => backend.ctx.db('leads').where({ bot_id: botId, channel: 'telegram' }).first());
    await new Promise((resolve) => setTimeout(resolve, 5));
    await number.user('79185550000').writes('hi from WhatsApp');
    const waLead = await backend.ctx.db('leads').where({ bot_id: botId, channel: 'whatsapp' }).first();
    for (const lead of [tgLead, waLead]) expect((await backend.request('POST', `/api/v1/bots/${botId}/links`, { token, body: { userId: 'u1', leadId: lead.id } })).status).toBe(200);

    const send = async (channel: string, text: string) => {
      const accepted = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { userIds: ['u1'], text, channel } });
      return waitUntilDone(backend, botId, token, accepted.body.messageId);
    };
    expect((await send('all', 'to every chat')).counts).toMatchObject({ sent: 2 });
    expect(tg.messages.map((m) => m.text)).toContain('to every chat');
    expect(number.sent.map((m) => m.payload.text?.body)).toContain('to every chat');

    expect((await send('last', 'where you were last')).counts).toMatchObject({ sent: 1 });
    expect(number.sent.map((m) => m.payload.text?.body)).toContain('where you were last');
    expect(tg.messages.map((m) => m.text)).not.toContain('where you were last');

    const user = await backend.request('GET', `/api/v1/bots/${botId}/users/u1`, { token });
    expect(user.body.user.leads.map((l: { channel: string }) => l.channel).sort()).toEqual(['telegram', 'whatsapp']);
  });
});
