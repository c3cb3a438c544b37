/**
 * A per-bot lookup (a channel's credentials) remembered for `ttlMs` and shared by concurrent sends,
 * so a change made from the CLI is picked up within that time; a failed lookup is not remembered.
 */
export function perBotCache<T>(load: (botId: number) => Promise<T>, ttlMs: number): (botId: number) => Promise<T> {
  const entries = new Map<number, { value: Promise<T>; checkedAt: number }>();
  return (botId) => {
    const cached = entries.get(botId);
    if (cached && Date.now() - cached.checkedAt < ttlMs) return cached.value;
    const value = load(botId);
    entries.set(botId, { value, checkedAt: Date.now() });
    value.catch(() => entries.delete(botId));
    return value;
  };
}
