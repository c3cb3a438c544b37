import type { Knex } from 'knex';
import { setTelegramToken } from '../../src/channels/telegram/telegram-store';
import { newLeadId } from '../../src/identity/leads';
import type { Clock } from '../../src/platform/clock';
import { type StandinBot, TelegramStandin } from '../../../test/telegram-standin';
import { startTestBackend, type TestBackend } from './test-backend';

export { TelegramStandin, type StandinBot };

/** A backend whose Telegram channel talks to the stand-in, with a fast delivery loop. */
export async function startDeliveryBackend(standin: TelegramStandin, env: Record<string, string> = {}, clock?: Clock): Promise<TestBackend> {
  return startTestBackend({
    clock,
    env: {
      TELEGRAM_API_ROOT: standin.apiRoot,
      DELIVERY_POLL_MS: '20',
      SECRET_KEY: 'a'.repeat(64),
      ...(process.env.TEST_LOG_LEVEL ? { LOG_LEVEL: process.env.TEST_LOG_LEVEL } : {}),
      ...env,
    },
  });
}

/** The env that points another backend at `owner`'s database (its PostgreSQL database, or its SQLite file's folder). */
export function sameDatabaseAs(owner: TestBackend): Record<string, string> {
  return owner.ctx.config.DATABASE_URL ? { DATABASE_URL: owner.ctx.config.DATABASE_URL } : { DATA_DIR: owner.dataDir };
}

/**
 * Registers beforeAll/afterAll hooks for a stand-in (limits off) and a delivery backend talking to
 * it; the returned object is filled when the hooks have run.
 */
export function useStandinBackend(env: Record<string, string> = {}): { standin: TelegramStandin; backend: TestBackend } {
  const setup = {} as { standin: TelegramStandin; backend: TestBackend };
  beforeAll(async () => {
    setup.standin = await TelegramStandin.start({ limits: { enabled: false } });
    setup.backend = await startDeliveryBackend(setup.standin, env);
  });
  afterAll(async () => {
    await setup.backend?.close();
    await setup.standin?.close();
  });
  return setup;
}

/** A bot with a Telegram token of a new stand-in bot, and an API token with every scope. */
export async function createTelegramBot(backend: TestBackend, standin: TelegramStandin) {
  const telegram = standin.createBot();
  const { botId, token } = await backend.createBot();
  await setTelegramToken(backend.ctx, botId, telegram.token);
  return { botId, token, telegram };
}

export interface SeededLead {
  leadId: string;
  userId: string;
  chatId: number;
}

/**
 * Leads with linked CRM users (user `u<chatId>`), written in bulk: fan-out tests need thousands,
 * and the identity capability's own tests cover how leads come to exist one by one.
 */
export async function seedLinkedLeads(db: Knex, botId: number, chatIds: number[], now = Date.now()): Promise<SeededLead[]> {
  const seeded = chatIds.map((chatId) => ({ leadId: newLeadId(), userId: `u${chatId}`, chatId }));
  for (let i = 0; i < seeded.length; i += 400) {
    const chunk = seeded.slice(i, i + 400);
    await db('leads').insert(chunk.map((s) => ({ id: s.leadId, bot_id: botId, channel: 'telegram', chat_id: String(s.chatId), first_name: `Name${s.chatId}`, attributes: JSON.stringify({ tier: s.chatId % 2 ? 'gold' : 'silver' }), reachable: true, last_activity_at: now, created_at: now })));
    await db('links').insert(chunk.map((s) => ({ lead_id: s.leadId, bot_id: botId, user_id: s.userId, source: 'api', status: 'connected', connected_at: now })));
    await db('user_accounts').insert(chunk.map((s) => ({ bot_id: botId, user_id: s.userId, state: 'active', created_at: now, updated_at: now })));
  }
  return seeded;
}

export const range = (from: number, count: number) => Array.from({ length: count }, (_, i) => from + i);

/** Polls the message status API (counts only) until every recipient is in a final state; answers the whole status. */
export async function waitUntilDone(backend: Pick<TestBackend, 'request'>, botId: number, token: string, messageId: string, timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  const status = async (limit: number) => (await backend.request('GET', `/api/v1/bots/${botId}/messages/${messageId}?limit=${limit}`, { token })).body?.message;
  for (;;) {
    const counted = await status(0);
    if (counted?.status === 'done') return status(100_000);
    if (Date.now() > deadline) throw new Error(`message ${messageId} not done: ${JSON.stringify(counted?.counts)}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
