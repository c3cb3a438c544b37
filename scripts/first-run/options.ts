import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
// The root's zod 3.25 (n8n-workflow's peer) carries the zod 4 API the backend uses at zod/v4.
import { z } from 'zod/v4';

const flag = z
  .enum(['', '0', '1', 'false', 'true'])
  .default('')
  .transform((value) => value === '1' || value === 'true');
const port = z.coerce.number().int().min(1).max(65_535);

const envSchema = z.object({
  PORT: port.default(3000),
  N8N_PORT: port.default(5678),
  DATA_DIR: z.string().min(1).optional(),
  TELEGRAM_BOT_TOKEN: z
    .string()
    .regex(/^\d{1,20}:[A-Za-z0-9_-]{20,100}$/, 'must look like 123456789:AAH… (the token from @BotFather)')
    .optional(),
  METABOT_BACKEND_ONLY: flag,
  METABOT_FIRST_RUN_CHECK: flag,
});

export interface Options {
  /** Start the backend alone, for people who already run n8n. */
  backendOnly: boolean;
  /** Smoke mode (CI): everything, one round trip through n8n, stop, exit 0. */
  check: boolean;
  dataDir: string;
  /** The data folder is a throwaway one (check mode without DATA_DIR): removed at the end. */
  temporaryData: boolean;
  port: number;
  n8nPort: number;
  telegramToken?: string;
}

export const usage = `Usage: npm start [-- --backend-only] [-- --check]

Starts the Metabot backend (SQLite in ./data) and a local n8n with the example workflows.
  --backend-only   the backend alone (also METABOT_BACKEND_ONLY=1)
  --check          start everything, run one round trip through n8n, stop (also METABOT_FIRST_RUN_CHECK=1)
Environment: PORT (3000), N8N_PORT (5678), DATA_DIR (./data), TELEGRAM_BOT_TOKEN (the demo bot answers in Telegram).`;

/** Flags and environment, validated; a bad value throws a message naming it. */
export function parseOptions(argv: string[], env: NodeJS.ProcessEnv, root: string): Options | 'help' {
  const { values } = parseArgs({
    args: argv,
    options: { 'backend-only': { type: 'boolean' }, check: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
    strict: true,
  });
  if (values.help) return 'help';
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new Error(parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`).join('\n'));
  }
  const e = parsed.data;
  const check = Boolean(values.check) || e.METABOT_FIRST_RUN_CHECK;
  const temporaryData = check && e.DATA_DIR === undefined;
  return {
    backendOnly: Boolean(values['backend-only']) || e.METABOT_BACKEND_ONLY,
    check,
    dataDir: temporaryData ? path.join(os.tmpdir(), `metabot-first-run-check-${process.pid}`) : path.resolve(root, e.DATA_DIR ?? 'data'),
    temporaryData,
    port: e.PORT,
    n8nPort: e.N8N_PORT,
    telegramToken: e.TELEGRAM_BOT_TOKEN,
  };
}
