import type { Knex } from 'knex';

/**
 * A small, varied population of one bot written straight to the tables, and a brute-force model of
 * it: users with one to three chats in different channels (some unreachable, some not connected
 * any more), accounts in every state (some paused), and leads linked to nobody. The audience tests
 * compare what SQL resolves with what the model computes one person at a time.
 */
export interface ModelLead {
  id: string;
  channel: 'telegram' | 'webchat' | 'vk';
  reachable: boolean;
  lastActivityAt: number;
  /** The user it is linked to (a connected link only). */
  userId: string | null;
  attributes: Record<string, unknown>;
  createdAt: number;
}

export interface ModelAccount {
  userId: string;
  state: 'active' | 'blocked' | 'deleted';
  pausedUntil: number | null;
  profile: Record<string, unknown>;
}

export interface Population {
  leads: ModelLead[];
  accounts: ModelAccount[];
  userIds: string[];
}

/** A deterministic generator (the population is the same in every run and on both databases). */
function lcg(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return state / 2147483648;
  };
}

export async function seedPopulation(db: Knex, botId: number, now: number, size = 16): Promise<Population> {
  const random = lcg(42);
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(random() * xs.length)];
  const leads: ModelLead[] = [];
  const accounts: ModelAccount[] = [];
  const userIds: string[] = [];
  const links: Array<{ lead_id: string; user_id: string; status: string }> = [];
  let chat = 0;
  const lead = (userId: string | null, channel: ModelLead['channel']): ModelLead => ({
    id: `ld_pop${botId}x${String(++chat).padStart(3, '0')}`,
    channel,
    reachable: random() > 0.2,
    // Few distinct times, so ties (broken by lead id) happen.
    lastActivityAt: now - Math.floor(random() * 4) * 60_000,
    userId,
    attributes: { region: pick(['north', 'south', 'east']), score: Math.floor(random() * 10), vip: random() > 0.5, ...(random() > 0.7 ? { note: pick(['a', 'b', '']) } : {}) },
    createdAt: now - Math.floor(random() * 10) * 86_400_000,
  });
  for (let u = 0; u < size; u++) {
    const userId = `pu${u}`;
    userIds.push(userId);
    const channels = (['telegram', 'webchat', 'vk'] as const).filter(() => random() > 0.4);
    for (const channel of channels.length ? channels : (['telegram'] as const)) {
      const l = lead(userId, channel);
      // A link that is no longer connected does not make the lead the user's.
      const disconnected = random() > 0.85;
      links.push({ lead_id: l.id, user_id: userId, status: disconnected ? 'disconnected' : 'connected' });
      leads.push(disconnected ? { ...l, userId: null } : l);
    }
    const state = pick(['active', 'active', 'active', 'blocked', 'deleted'] as const);
    const paused = state === 'active' && random() > 0.7;
    accounts.push({ userId, state, pausedUntil: paused ? now + 3_600_000 : null, profile: { city: pick(['Berlin', 'Oslo']), level: Math.floor(random() * 3) } });
  }
  for (let i = 0; i < size / 2; i++) leads.push(lead(null, pick(['telegram', 'webchat', 'vk'] as const)));
  await db('leads').insert(
    leads.map((l) => ({ id: l.id, bot_id: botId, channel: l.channel, chat_id: l.id, attributes: JSON.stringify(l.attributes), reachable: l.reachable, last_activity_at: l.lastActivityAt, created_at: l.createdAt })),
  );
  await db('links').insert(links.map((k) => ({ ...k, bot_id: botId, source: 'api', connected_at: now })));
  await db('user_accounts').insert(accounts.map((a) => ({ bot_id: botId, user_id: a.userId, state: a.state, paused_until: a.pausedUntil, profile: JSON.stringify(a.profile), created_at: now, updated_at: now })));
  return { leads, accounts, userIds };
}

/** The account of a lead's linked user, if any. */
export const accountOf = (p: Population, l: ModelLead) => (l.userId === null ? undefined : p.accounts.find((a) => a.userId === l.userId));

/** Whether a lead can be sent to at all: reachable, and its user's account (if any) active. */
export const isDeliverable = (p: Population, l: ModelLead) => l.reachable && (accountOf(p, l)?.state ?? 'active') === 'active';
