import { Api, GrammyError } from 'grammy';
import { type StandinBot, type StandinOptions, TelegramStandin } from './standin';

export interface GrammySuite {
  standin: TelegramStandin;
  /** grammY's Api for this token, pointed at the stand-in (as the backend talks to Telegram). */
  apiFor(token: string): Api;
  /** A bot of the test's own (no state shared with other tests) and its Api. */
  newBot(options?: { username?: string }): { bot: StandinBot; api: Api };
}

/**
 * Registers the hooks of a suite that drives the stand-in through grammY: it starts before all
 * tests (Telegram's limits off unless `options` says otherwise) and closes after them. The
 * returned object is filled when the hooks have run.
 */
export function useGrammySuite(options: StandinOptions = { limits: { enabled: false } }): GrammySuite {
  const suite = {
    apiFor: (token: string) => new Api(token, { apiRoot: suite.standin.apiRoot }),
    newBot: (botOptions?: { username?: string }) => {
      const bot = suite.standin.createBot(botOptions);
      return { bot, api: suite.apiFor(bot.token) };
    },
  } as GrammySuite;
  beforeAll(async () => {
    suite.standin = await TelegramStandin.start(options);
  });
  afterAll(() => suite.standin?.close());
  return suite;
}

/** What Telegram refused the call with; throws when the call succeeded or failed otherwise. */
export async function telegramError(call: Promise<unknown>): Promise<GrammyError> {
  const error = await call.then(() => undefined, (e: unknown) => e);
  if (!(error instanceof GrammyError)) throw new Error(`expected a Telegram error, got ${String(error)}`);
  return error;
}
