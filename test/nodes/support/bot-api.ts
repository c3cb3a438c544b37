import type { TestBackend } from '../../../backend/test/support/test-backend';
import type { ApiAnswer, ApiBody, OperationId } from '../../../nodes/shared/transport';

export interface BotApiResponse<Op extends OperationId> {
  status: number;
  body: ApiAnswer<Op>;
}

/**
 * One bot's API for a test, typed as the nodes' transport is: the operation named as the type
 * argument (`api<'listSubscriptions'>('GET', '/subscriptions')`) gives the body and the answer the
 * types generated from the document, so a test cannot call the API in a shape the nodes could not.
 */
export function botApi(backend: TestBackend, botId: number, token: string) {
  return async <Op extends OperationId>(method: string, path: string, body?: ApiBody<Op>): Promise<BotApiResponse<Op>> => {
    const response = await backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });
    return { status: response.status, body: response.body as ApiAnswer<Op> };
  };
}
