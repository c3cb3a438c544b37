import { getTelegramBot, setTelegramToken } from '../../../backend/src/channels/telegram/telegram-store';
import { issueVisitor } from '../../../backend/src/channels/webchat/visitors';
import { seedLinkedLeads } from '../../../backend/test/support/delivery';
import { userAccountMap } from '../../../backend/test/support/maps';
import type { TestBackend } from '../../../backend/test/support/test-backend';

/** Two bots with something behind every kind of path parameter, so requests reach past "not found". */
export interface DrillWorld {
  botId: number;
  token: string;
  otherBotId: number;
  otherToken: string;
  /** A value for each `{param}` of the published paths that names something of bot `botId`. */
  pathValues: Record<string, string>;
  webhookSecret: string;
  /** Web-chat visitor tokens of each bot. */
  visitorToken: string;
  otherVisitorToken: string;
}

/** Gives the bot a Telegram token (of no real bot) and answers the webhook secret that came with it. */
export async function setFakeTelegramToken(backend: TestBackend, botId: number): Promise<string> {
  await setTelegramToken(backend.ctx, botId, '123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA');
  return (await getTelegramBot(backend.ctx, botId))!.webhookSecret;
}

export async function seedDrillWorld(backend: TestBackend): Promise<DrillWorld> {
  const { botId, token } = await backend.createBot({ name: 'Drill bot', map: userAccountMap });
  const other = await backend.createBot({ name: 'Other bot', map: userAccountMap });
  const api = (method: string, path: string, body?: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });
  const expectOk = async (pending: ReturnType<typeof api>) => {
    const res = await pending;
    if (res.status >= 300) throw new Error(`fixture request failed: ${res.status} ${JSON.stringify(res.body)}`);
    return res.body;
  };

  const [lead] = await seedLinkedLeads(backend.ctx.db, botId, [1001, 1002]);
  await seedLinkedLeads(backend.ctx.db, other.botId, [2001]);
  await expectOk(
    api('POST', '/tables', {
      name: 'orders',
      columns: [
        { name: 'customer', type: 'string', unique: true },
        { name: 'amount', type: 'number' },
        { name: 'paid', type: 'boolean' },
        { name: 'at', type: 'datetime' },
        { name: 'meta', type: 'json' },
      ],
    }),
  );
  await expectOk(api('POST', '/tables/orders/rows', { rows: [{ customer: 'ann', amount: 10, paid: true, at: '2026-11-20T10:00:00Z', meta: { a: 1 } }, { customer: 'bob', amount: 20 }] }));
  await expectOk(backend.request('POST', `/api/v1/bots/${other.botId}/tables`, { token: other.token, body: { name: 'orders', columns: [{ name: 'customer', type: 'string' }] } }));
  const subscription = await expectOk(api('POST', '/subscriptions', { url: 'http://127.0.0.1:9/hook', events: ['*'] }));
  const message = await expectOk(api('POST', '/messages', { userIds: [lead.userId], text: 'hello' }));
  const webhookSecret = await setFakeTelegramToken(backend, botId);

  return {
    botId,
    token,
    otherBotId: other.botId,
    otherToken: other.token,
    webhookSecret,
    visitorToken: issueVisitor(backend.ctx, botId).token,
    otherVisitorToken: issueVisitor(backend.ctx, other.botId).token,
    pathValues: {
      botId: String(botId),
      name: 'orders',
      alias: 'users/update',
      userId: lead.userId,
      action: 'pause',
      leadId: lead.leadId,
      messageId: message.messageId,
      subscriptionId: subscription.subscription.id,
      deliveryId: `dlv_${'0'.repeat(24)}`,
      traceId: message.trace_id ?? 'tr_0',
      version: '1',
      rowId: '1',
      callbackId: 'cb_0',
      fileId: 'file_0',
      eventId: '1',
      key: 'news',
      // The web chat's file of a visitor's message: message 1, file 0.
      index: '0',
    },
  };
}
