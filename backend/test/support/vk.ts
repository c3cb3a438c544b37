import { setVkAccount } from '../../src/channels/vk/vk-store';
import { type StandinCommunity, VkStandin, type VkLimits } from '../../../test/vk-standin';
import { startTestBackend, type TestBackend } from './test-backend';

export { VkStandin, type StandinCommunity };

/**
 * Registers beforeAll/afterAll hooks for a VK stand-in and a backend whose VK channel talks to it
 * (fast delivery loop, short Long Poll waits); the returned object is filled when the hooks have run.
 */
export function useVkBackend(options: { limits?: Partial<VkLimits> } = {}, env: Record<string, string> = {}): { standin: VkStandin; backend: TestBackend } {
  const setup = {} as { standin: VkStandin; backend: TestBackend };
  beforeAll(async () => {
    setup.standin = await VkStandin.start(options);
    setup.backend = await startTestBackend({ env: { ...(process.env.TEST_LOG_LEVEL ? { LOG_LEVEL: process.env.TEST_LOG_LEVEL } : {}), VK_API_ROOT: setup.standin.apiRoot, VK_LONGPOLL_WAIT: '2', DELIVERY_POLL_MS: '20', SECRET_KEY: 'd'.repeat(64), ...env } });
  });
  afterAll(async () => {
    await setup.backend?.close();
    await setup.standin?.close();
  });
  return setup;
}

/** A bot connected to a new stand-in community (Callback API pointed at the backend), and an API token with every scope. */
export async function createVkBot(backend: TestBackend, standin: VkStandin, options: { callback?: boolean } = {}) {
  const community = standin.createCommunity();
  const { botId, token } = await backend.createBot();
  await setVkAccount(backend.ctx, botId, community.credentials, community.screenName);
  if (options.callback ?? true) community.callbackUrl = `${backend.url}/vk/${botId}/callback`;
  return { botId, token, community };
}
