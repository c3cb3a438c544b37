import { setTelegramToken } from '../../src/channels/telegram/telegram-store';
import { setVkAccount } from '../../src/channels/vk/vk-store';
import { setWhatsappAccount } from '../../src/channels/whatsapp/whatsapp-store';
import { TelegramStandin, waitUntilDone } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';
import { VkStandin } from '../support/vk';
import { WhatsappStandin } from '../support/whatsapp';

describe(`one person in Telegram, WhatsApp and VK (${dialect})`, () => {
  let telegram: TelegramStandin;
  let whatsapp: WhatsappStandin;
  let vk: VkStandin;
  let backend: TestBackend;
  beforeAll(async () => {
    telegram = await TelegramStandin.start({ limits: { enabled: false } });
    whatsapp = await WhatsappStandin.start();
    vk = await VkStandin.start();
    backend = await startTestBackend({ env: { TELEGRAM_API_ROOT: telegram.apiRoot, WHATSAPP_API_ROOT: whatsapp.apiRoot, VK_API_ROOT: vk.apiRoot, VK_MODE: 'callback', DELIVERY_POLL_MS: '20', DELIVERY_CHAT_SPACING_MS: '0', SECRET_KEY: 'c'.repeat(64) } });
  });
  afterAll(async () => {
    await backend?.close();
    await vk?.close();
    await whatsapp?.close();
    await telegram?.close();
  });

  it('channel all reaches every lead, last the one used last, vk / telegram only that one; the user shows every lead', async () => {
    const { botId, token } = await backend.createBot();
    const tg = telegram.createBot();
    await setTelegramToken(backend.ctx, botId, tg.token);
    const number = whatsapp.createNumber();
    await setWhatsappAccount(backend.ctx, botId, number.credentials, null);
    number.webhookUrl = `${backend.url}/whatsapp/${botId}/webhook`;
    const community = vk.createCommunity();
    await setVkAccount(backend.ctx, botId, community.credentials, community.screenName);
    community.callbackUrl = `${backend.url}/vk/${botId}/callback`;

    tg.userSends(5150, 'hi from Telegram');
    const tgLead = await eventually(() => backend.ctx.db('leads').where({ bot_id: botId, channel: 'telegram' }).first());
    await new Promise((resolve) => setTimeout(resolve, 5));
    await number.user('79185550000').writes('hi from WhatsApp');
    await new Promise((resolve) => setTimeout(resolve, 5));
    await community.user(6150).writes('hi from VK').delivered;
    const waLead = await backend.ctx.db('leads').where({ bot_id: botId, channel: 'whatsapp' }).first();
    const vkLead = await backend.ctx.db('leads').where({ bot_id: botId, channel: 'vk' }).first();
    for (const lead of [tgLead, waLead, vkLead]) expect((await backend.request('POST', `/api/v1/bots/${botId}/links`, { token, body: { userId: 'u1', leadId: lead.id } })).status).toBe(200);

    const send = async (channel: string, text: string, userIds = ['u1']) => {
      const accepted = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { userIds, text, channel } });
      expect(accepted.status).toBe(202);
      return { accepted: accepted.body, status: await waitUntilDone(backend, botId, token, accepted.body.messageId) };
    };
    const vkTexts = () => community.messagesTo(6150).map((m) => m.text);
    const tgTexts = () => tg.messages.map((m) => m.text);
    const waTexts = () => number.sent.map((m) => m.payload.text?.body);

    expect((await send('all', 'to every chat')).status.counts).toMatchObject({ sent: 3 });
    expect([tgTexts(), waTexts(), vkTexts()].every((texts) => texts.includes('to every chat'))).toBe(true);

    expect((await send('last', 'where you were last')).status.counts).toMatchObject({ sent: 1 });
    expect(vkTexts()).toContain('where you were last');
    expect([...tgTexts(), ...waTexts()]).not.toContain('where you were last');

    expect((await send('vk', 'only in VK')).status.counts).toMatchObject({ sent: 1 });
    expect(vkTexts()).toContain('only in VK');
    expect((await send('telegram', 'only in Telegram')).status.counts).toMatchObject({ sent: 1 });
    expect(tgTexts()).toContain('only in Telegram');
    expect([...vkTexts(), ...waTexts()]).not.toContain('only in Telegram');

    // A user with no lead in the channel asked for is not reached there (and not elsewhere instead).
    const unknown = await backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { userIds: ['u1'], text: 'web chat?', channel: 'webchat' } });
    expect(unknown).toMatchObject({ status: 200, body: { success: false, unknown: ['u1'] } });

    const user = await backend.request('GET', `/api/v1/bots/${botId}/users/u1`, { token });
    expect(user.body.user.leads.map((l: { channel: string }) => l.channel).sort()).toEqual(['telegram', 'vk', 'whatsapp']);
  });
});
