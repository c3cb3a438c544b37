import { type Request, Router } from 'express';
import { botIdSchema } from '../../bots/bots';
import { ApiError } from '../../platform/http/errors';
import { jsonBody } from '../../platform/http/json-body';
import { notFound } from '../../platform/errors';
import { sameSecret } from '../../platform/secrets/same-secret';
import { handleVkEvent } from './handle-event';
import { type VkEvent, vkEventSchema } from './updates';
import type { VkContext } from './vk-runtime';
import { getVkAccount, type VkAccount } from './vk-store';

async function accountOf(ctx: VkContext, req: Request): Promise<VkAccount> {
  const botId = botIdSchema.safeParse(req.params.botId);
  const account = botId.success ? await getVkAccount(ctx, botId.data) : undefined;
  if (!account) throw notFound('Unknown bot');
  return account;
}

function eventOf(account: VkAccount, body: unknown): VkEvent {
  const event = vkEventSchema.safeParse(body);
  if (!event.success) throw new ApiError(400, 'Not a VK Callback API event');
  if (event.data.group_id !== account.groupId) throw new ApiError(403, 'This event is for another community');
  return event.data;
}

/**
 * `POST /vk/{botId}/callback`, the server address given to the community's Callback API
 * (dev.vk.com/ru/api/callback/getting-started): a `confirmation` request is answered with the
 * confirmation string; every other event must carry the secret key (401 otherwise, nothing
 * changes) and is answered `ok`. An event that could not be stored answers 500: VK sends it again,
 * and the repeat is dropped by its event_id.
 */
export function vkCallbackRouter(ctx: VkContext): Router {
  const router = Router();
  router.post('/vk/:botId/callback', jsonBody({ limit: '1mb' }), async (req, res) => {
    const account = await accountOf(ctx, req);
    if (!account.confirmationCode || !account.secretKey) throw new ApiError(403, 'The Callback API is not set up for this bot (bot set-vk --confirmation-code --secret-key)');
    const event = eventOf(account, req.body);
    if (event.type === 'confirmation') return void res.type('text/plain').send(account.confirmationCode);
    if (!sameSecret(event.secret, account.secretKey)) throw new ApiError(401, 'Wrong or missing secret key');
    await handleVkEvent(ctx, account, event);
    res.type('text/plain').send('ok');
  });
  return router;
}
