import { setWhatsappAccount, type WhatsappTemplate } from '../../src/channels/whatsapp/whatsapp-store';
import { type StandinNumber, type StandinTemplate, WhatsappStandin, type StandinOptions } from '../../../test/whatsapp-standin';
import type { Clock } from '../../src/platform/clock';
import { startTestBackend, type TestBackend } from './test-backend';

export { WhatsappStandin, type StandinNumber };

/**
 * Registers beforeAll/afterAll hooks for a WhatsApp stand-in and a backend whose WhatsApp channel
 * talks to it (fast delivery loop); the returned object is filled when the hooks have run.
 */
export function useWhatsappBackend(options: StandinOptions = {}, env: Record<string, string> = {}, clock?: Clock): { standin: WhatsappStandin; backend: TestBackend } {
  const setup = {} as { standin: WhatsappStandin; backend: TestBackend };
  beforeAll(async () => {
    setup.standin = await WhatsappStandin.start(options);
    setup.backend = await startTestBackend({ env: { WHATSAPP_API_ROOT: setup.standin.apiRoot, DELIVERY_POLL_MS: '20', SECRET_KEY: 'b'.repeat(64), ...env }, clock });
  });
  afterAll(async () => {
    await setup.backend?.close();
    await setup.standin?.close();
  });
  return setup;
}

/** A bot connected to a new stand-in number (webhook pointed at the backend), and an API token with every scope. */
export async function createWhatsappBot(backend: TestBackend, standin: WhatsappStandin, options: { templates?: StandinTemplate[]; fallback?: WhatsappTemplate } = {}) {
  const number = standin.createNumber(options.templates);
  const { botId, token } = await backend.createBot();
  await setWhatsappAccount(backend.ctx, botId, number.credentials, options.fallback ?? null);
  number.webhookUrl = `${backend.url}/whatsapp/${botId}/webhook`;
  return { botId, token, number };
}
