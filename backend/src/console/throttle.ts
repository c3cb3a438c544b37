import type { AppContext } from '../platform/context';

/**
 * Login attempts per account (the email typed, whether or not it has an account, so the throttle
 * tells nothing) and per client address, counted in windows of CONSOLE_LOGIN_WINDOW_MINUTES.
 * An attempt is reserved before the password is checked, both counters in one atomic statement
 * (an upsert whose update reads the row it locks), so concurrent guesses cannot all pass a check
 * made before any of them is counted; a successful login gives its attempts back.
 */
export interface ThrottleVerdict {
  allowed: boolean;
  retryAfterSeconds: number;
}

interface CounterRow {
  key: string;
  attempts: number;
  window_started_at: number;
}

const accountKey = (email: string) => `account:${email}`;
/** IPv6 clients count by their /64, as the web chat's limits do: one host has a whole /64 to choose from. */
function addressKey(address: string): string {
  const v6 = address.includes(':') && !address.startsWith('::ffff:');
  return `address:${v6 ? address.split(':').slice(0, 4).join(':') : address.replace(/^::ffff:/, '')}`;
}

export async function reserveLoginAttempt(ctx: AppContext, email: string, address: string): Promise<ThrottleVerdict> {
  const now = ctx.clock.now();
  const windowMs = ctx.config.CONSOLE_LOGIN_WINDOW_MINUTES * 60_000;
  const expired = now - windowMs;
  const table = 'console_login_throttle';
  // Counters of ended windows go, so emails typed at random do not pile up rows.
  await ctx.db(table).where('window_started_at', '<=', expired).delete();
  const rows = (await ctx
    .db(table)
    .insert([accountKey(email), addressKey(address)].map((key) => ({ key, window_started_at: now, attempts: 1 })))
    .onConflict('key')
    .merge({
      attempts: ctx.db.raw(`case when ${table}.window_started_at <= ? then 1 else ${table}.attempts + 1 end`, [expired]),
      window_started_at: ctx.db.raw(`case when ${table}.window_started_at <= ? then ? else ${table}.window_started_at end`, [expired, now]),
    })
    .returning(['key', 'attempts', 'window_started_at'])) as CounterRow[];
  const limits: Record<string, number> = { account: ctx.config.CONSOLE_LOGIN_ACCOUNT_ATTEMPTS, address: ctx.config.CONSOLE_LOGIN_ADDRESS_ATTEMPTS };
  const over = rows.filter((row) => row.attempts > limits[row.key.split(':')[0]]);
  if (over.length === 0) return { allowed: true, retryAfterSeconds: 0 };
  const reopens = Math.max(...over.map((row) => row.window_started_at + windowMs));
  return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((reopens - now) / 1000)) };
}

/** After a successful login: the account's counter starts again, the address gets its attempt back. */
export async function forgiveLoginAttempt(ctx: AppContext, email: string, address: string): Promise<void> {
  await ctx.db('console_login_throttle').where({ key: accountKey(email) }).delete();
  await ctx.db('console_login_throttle').where({ key: addressKey(address) }).andWhere('attempts', '>', 0).decrement('attempts', 1);
}
