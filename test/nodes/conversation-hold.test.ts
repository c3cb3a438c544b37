import { createTelegramBot, startDeliveryBackend, TelegramStandin, type StandinBot } from '../../backend/test/support/delivery';
import { eventually } from '../../backend/test/support/eventually';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';
import { startWebhookServer } from './support/webhook-server';

type Item = Record<string, any>;

/**
 * Two workflows, each a Metabot Trigger on message.received, hear a person in the Telegram
 * stand-in. One holds the conversation from its trigger's item (Call Communication → Conversation
 * → Hold, by the item's delivery id): the person's next message reaches it alone, until it releases.
 */
describeWithN8n('Hold and Release from a workflow in the n8n engine', () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let webhook: Awaited<ReturnType<typeof startWebhookServer>>;
  let telegram: StandinBot;
  let botId: number;
  let token: string;
  const workflows: Record<'registration' | 'faq', any> = { registration: undefined, faq: undefined };
  const started: Record<'registration' | 'faq', Item[]> = { registration: [], faq: [] };

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin, { WEBHOOK_ALLOW_PRIVATE: 'true' });
    ({ botId, token, telegram } = await createTelegramBot(backend, standin));
    webhook = await startWebhookServer(async (req, res) => {
      const name = req.url.includes('hook-registration') ? 'registration' : 'faq';
      const result = await engine.webhook(workflows[name], 'Trigger', req, res as any);
      if (result.workflowData) started[name].push(result.workflowData[0][0].json);
    });
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token }, { webhookBaseUrl: `${webhook.url}/webhook` });
    for (const name of ['registration', 'faq'] as const) {
      workflows[name] = engine.workflow([{ name: 'Trigger', type: 'metabotTrigger', webhookId: `hook-${name}`, parameters: { events: ['message.received'] } }]);
      expect(await engine.webhookLifecycle(workflows[name], 'Trigger', 'create')).toBe(true);
    }
    backend.ctx.wakeups.wake('telegram');
  }, 120_000);
  afterAll(async () => {
    await webhook?.close();
    await backend?.close();
    await standin?.close();
  });

  const conversationNode = (operation: string, parameters: Record<string, unknown> = {}) => ({ name: operation, type: 'callCommunication', parameters: { resource: 'conversation', operation, ...parameters } });
  const runConversation = async (operation: string, item: Item, parameters: Record<string, unknown> = {}) => {
    const result = await engine.run([conversationNode(operation, parameters)], { input: [item] });
    return { output: result.output(operation)[0]?.json, error: result.error(operation) };
  };
  const heard = (name: 'registration' | 'faq', chatId: number, text: string) => started[name].find((i) => i.text === text && i.lead?.chatId === String(chatId));
  const subscriptionOf = (name: 'registration' | 'faq') => workflows[name].getStaticData('node', workflows[name].getNode('Trigger')).subscriptionId as string;

  it('holds the person for the workflow whose trigger item it runs on, until that workflow releases them', async () => {
    const chatId = 8801;
    telegram.userSends(chatId, 'register me');
    const [first, other] = await eventually(() => {
      const both = [heard('registration', chatId, 'register me'), heard('faq', chatId, 'register me')];
      return both.every(Boolean) ? (both as Item[]) : undefined;
    }, 20_000);
    expect(first.deliveryId).toMatch(/^dlv_/);

    const held = await runConversation('hold', first, { holdSeconds: 300 });
    expect(held.error).toBeUndefined();
    expect(held.output).toMatchObject({ state: 'held', hold: { subscriptionId: subscriptionOf('registration') } });
    const refused = await runConversation('hold', other);
    expect(refused.error?.message).toMatch(/409|held/i);

    telegram.userSends(chatId, 'Ann Smith');
    const answer = await eventually(() => heard('registration', chatId, 'Ann Smith'), 20_000);
    const event = await backend.ctx.db('events').where({ bot_id: botId, type: 'message.received' }).whereRaw('payload like ?', ['%Ann Smith%']).first();
    const deliveries = await backend.ctx.db('event_deliveries').where({ event_id: event.id }).select('subscription_id');
    expect(deliveries.map((d) => d.subscription_id)).toEqual([subscriptionOf('registration')]);
    expect(heard('faq', chatId, 'Ann Smith')).toBeUndefined();

    const released = await runConversation('release', answer);
    expect(released.output).toMatchObject({ state: 'bot', hold: null });
    telegram.userSends(chatId, 'thanks');
    await eventually(() => heard('faq', chatId, 'thanks') && heard('registration', chatId, 'thanks'), 20_000);
  });

  it('refuses a delivery id about another person, and a made-up one', async () => {
    const [ann, bob] = [8811, 8812];
    for (const chatId of [ann, bob]) telegram.userSends(chatId, 'hi');
    const [annItem, bobItem] = await eventually(() => {
      const items = [heard('registration', ann, 'hi'), heard('registration', bob, 'hi')];
      return items.every(Boolean) ? (items as Item[]) : undefined;
    }, 20_000);
    const foreign = await runConversation('hold', { ...annItem, deliveryId: bobItem.deliveryId });
    expect(foreign.error?.message).toMatch(/404|No delivery about this person/);
    const madeUp = await runConversation('hold', { ...annItem, deliveryId: `dlv_${'0'.repeat(24)}` });
    expect(madeUp.error?.message).toMatch(/404|No delivery about this person/);
    const conversation = await backend.request('GET', `/api/v1/bots/${botId}/leads/${annItem.lead.id}/conversation`, { token });
    expect(conversation.body.conversation.state).toBe('bot');
  });
});
