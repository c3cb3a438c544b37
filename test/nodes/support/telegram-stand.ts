import { createTelegramBot, seedLinkedLeads, startDeliveryBackend, TelegramStandin, type SeededLead, type StandinBot } from '../../../backend/test/support/delivery';
import type { TestBackend } from '../../../backend/test/support/test-backend';
import type { N8nEngine } from './n8n-engine';

type StandinOptions = NonNullable<Parameters<typeof TelegramStandin.start>[0]>;

/**
 * What the Call Communication suites run against: the Telegram stand-in, a delivery backend with
 * one Telegram bot, linked CRM users (`u<chatId>`) and the real n8n engine holding the bot's token.
 */
export interface TelegramStand {
  standin: TelegramStandin;
  backend: TestBackend;
  engine: N8nEngine;
  botId: number;
  token: string;
  telegram: StandinBot;
  leads: SeededLead[];
  close(): Promise<void>;
}

export async function startTelegramStand(options: { chatIds: number[]; standin?: StandinOptions }): Promise<TelegramStand> {
  // n8n-engine loads n8n's own modules: imported only once a suite that needs n8n runs.
  const { N8nEngine } = await import('./n8n-engine');
  const standin = await TelegramStandin.start(options.standin);
  const backend = await startDeliveryBackend(standin);
  const { botId, token, telegram } = await createTelegramBot(backend, standin);
  const leads = await seedLinkedLeads(backend.ctx.db, botId, options.chatIds);
  const engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token });
  return {
    standin,
    backend,
    engine,
    botId,
    token,
    telegram,
    leads,
    async close() {
      await backend.close();
      await standin.close();
    },
  };
}
