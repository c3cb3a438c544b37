import type { Bot } from '../../bots/bots';
import type { TokenGrant } from '../../bots/tokens';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    interface Locals {
      /** Set for every request: the caller's X-Trace-Id or a new one. */
      traceId: string;
      /** Set by `authenticate`. */
      grant: TokenGrant;
      /** Set by `botAccess` on /bots/:botId routes. */
      bot: Bot;
    }
  }
}

export {};
