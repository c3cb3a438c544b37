/**
 * The shop both n8n server suites drive: a Telegram stand-in, a backend delivering to it, a CRM
 * stand-in, one bot with the user-account map plus `order/thank-you` (and any extra endpoints),
 * and one linked customer.
 */
import { createTelegramBot, seedLinkedLeads, startDeliveryBackend, TelegramStandin, type SeededLead, type StandinBot } from '../../../backend/test/support/delivery';
import { userAccountMap } from '../../../backend/test/support/maps';
import type { TestBackend } from '../../../backend/test/support/test-backend';
import { startCrmStandin } from './crm-standin';

export interface Shop {
  standin: TelegramStandin;
  backend: TestBackend;
  crm: Awaited<ReturnType<typeof startCrmStandin>>;
  botId: number;
  token: string;
  telegram: StandinBot;
  customer: SeededLead;
  api(method: string, path: string, body?: unknown): ReturnType<TestBackend['request']>;
  close(): Promise<void>;
}

const thankYouEndpoint = {
  alias: 'order/thank-you',
  purpose: 'An order was paid: thank the customer and ask for a rating',
  owner: 'Shop team',
  params: { type: 'object', required: ['userId', 'orderId'], properties: { userId: {}, orderId: { type: 'string' } } },
};

export async function openShop(customerChatId: number, extraEndpoints: readonly object[] = []): Promise<Shop> {
  const standin = await TelegramStandin.start();
  const backend = await startDeliveryBackend(standin);
  const crm = await startCrmStandin();
  const { botId, token, telegram } = await createTelegramBot(backend, standin);
  const api: Shop['api'] = (method, path, body) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });
  const map = { name: 'Shop', endpoints: [...userAccountMap.endpoints, thankYouEndpoint, ...extraEndpoints] };
  const imported = await api('POST', '/maps', { document: map });
  if (imported.status >= 300) throw new Error(`the shop map was refused: ${JSON.stringify(imported.body)}`);
  const [customer] = await seedLinkedLeads(backend.ctx.db, botId, [customerChatId]);
  const close = async () => {
    await crm.close();
    await backend.close();
    await standin.close();
  };
  return { standin, backend, crm, botId, token, telegram, customer, api, close };
}
