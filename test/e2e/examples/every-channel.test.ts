/**
 * The same example workflows, unchanged, reach people in every channel: a CRM user links their
 * chat through the one-time link the CRM was sent (Telegram, VK, WhatsApp or the web chat, whichever they
 * open), the CRM's calls reach them there, and their tap on a rating goes back to the CRM.
 */
import { describeWithN8n } from '../../nodes/support/n8n-runtime';
import { type CrmStandin, startCrmStandin } from '../support/crm-standin';
import { waitUntil } from '../support/n8n-server';
import { crmUserRoutes } from './support/crm-users';
import { combinedMap, type ExampleStack, startExampleStack } from './support/example-stack';
import { type ChannelName, type LinkUrls, type Person, personIn, untilSeen } from './support/people';

jest.setTimeout(120_000);

const channels: Array<{ channel: ChannelName; seed: number; userId: number }> = [
  { channel: 'telegram', seed: 9601, userId: 701 },
  { channel: 'vk', seed: 9602, userId: 702 },
  { channel: 'whatsapp', seed: 9604, userId: 704 },
  { channel: 'webchat', seed: 9603, userId: 703 },
];

describeWithN8n('the user-account and e-commerce examples in Telegram, VK, WhatsApp and the web chat, workflows unchanged', () => {
  let crm: CrmStandin;
  let stack: ExampleStack;

  beforeAll(async () => {
    crm = await startCrmStandin({ ...crmUserRoutes([]), 'POST /orders/:id/review': () => ({ body: { success: true } }) });
    stack = await startExampleStack({
      map: combinedMap('CRM in every channel', ['user-account', 'e-commerce']),
      workflows: { 'user-account': { crmUrl: crm.url }, 'e-commerce': { crmUrl: crm.url } },
      everyChannel: true,
    });
  }, 600_000);

  afterAll(async () => {
    await stack?.close();
    await crm?.close();
  }, 60_000);

  const crmGot = (path: string) => crm.received.filter((r) => r.path === path).map((r) => r.body);
  const leadsOf = async (userId: number) => ((await stack.api('GET', `/users/${userId}`)).body.user?.leads ?? []) as Array<{ id: string; channel: string; chatId: string }>;

  describe.each(channels)('$channel', ({ channel, seed, userId }) => {
    let person: Person;
    let leadId: string;

    beforeAll(async () => {
      person = await personIn({ telegram: stack.telegram, vk: stack.vk!, whatsapp: stack.whatsapp!, backend: stack.backend, botId: stack.botId }, channel, seed, 'Ivan');
    });

    it('connect-bot for a user without a chat sends the CRM the links; the person opens theirs and is greeted on the next connect-bot', async () => {
      await stack.call('users/connect-bot', { userId });
      await waitUntil(async () => crmGot('/users/bot-link').some((b) => b.userId === userId), 60_000, `the bot link of user ${userId} at the CRM`);
      const urls = crmGot('/users/bot-link').find((b) => b.userId === userId) as LinkUrls;
      await person.opensLink(urls);
      await waitUntil(async () => (await leadsOf(userId)).some((l) => l.channel === channel && l.chatId === person.chatId), 30_000, `user ${userId} linked in ${channel}`);
      leadId = (await leadsOf(userId)).find((l) => l.channel === channel)!.id;

      await stack.call('users/connect-bot', { userId });
      const greeting = await untilSeen(person, 'Welcome back');
      const names: Record<ChannelName, string> = { telegram: ', Ivan', vk: `, Name${seed}`, whatsapp: ', Ivan', webchat: '' };
    expect(greeting.text).toBe(`Welcome back${names[channel]}! How can I help you today?`);
    });

    it('order/thank-you reaches them in their channel; the rating tap on order/delivered goes back to the CRM on the same trace', async () => {
      const orderId = `B-${seed}`;
      await stack.call('order/thank-you', { userId, orderId, total: 12, currency: 'EUR' });
      expect((await untilSeen(person, 'Thank you for your order')).text).toMatch(new RegExp(`^Thank you for your order ${orderId}(, \\S+)?! Total: 12 EUR\\.`));

      const { traceId } = await stack.call('order/delivered', { userId, orderId });
      const question = await untilSeen(person, `Your order ${orderId} was delivered`);
      expect(question.buttons.map((b) => b.data)).toEqual(['review:1', 'review:2', 'review:3', 'review:4', 'review:5']);
      await stack.untilWaiting(leadId);
      await person.taps('review:5');
      await waitUntil(async () => crmGot(`/orders/${orderId}/review`).length === 1, 60_000, `the review of ${orderId} at the CRM`);
      expect(crmGot(`/orders/${orderId}/review`)).toEqual([{ userId, orderId, status: 'answered', rating: 5, traceId }]);
      await untilSeen(person, 'Thank you for your rating');
    });
  });

  it('each person was reached only in the channel they linked', async () => {
    const leads = await Promise.all(channels.map(({ userId }) => leadsOf(userId)));
    expect(leads.map((l) => l.map((lead) => lead.channel))).toEqual(channels.map(({ channel }) => [channel]));
    expect(stack.telegram.messagesTo(9602)).toEqual([]);
    expect(stack.vk!.messagesTo(9601)).toEqual([]);
    expect(stack.whatsapp!.sent.filter((m) => m.to === '79189601')).toEqual([]);
  });
});
