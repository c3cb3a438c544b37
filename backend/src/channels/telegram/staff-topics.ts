import type { Api } from 'grammy';
import type { AppContext } from '../../platform/context';
import { createTopic, reopenTopic } from './forum';

/** A person's topic in the staff group (table `staff_topics`, one per bot and person). */
export interface StaffTopicRow {
  bot_id: number;
  person_key: string;
  chat_id: string | null;
  thread_id: number | null;
  state: 'creating' | 'open' | 'closed';
  claimed_at: number | string;
  updated_at: number | string;
}

/** A claim to create a topic older than this is taken to have died with its process. */
const CLAIM_MS = 60_000;

export interface TopicKey {
  botId: number;
  personKey: string;
}

const where = (key: TopicKey) => ({ bot_id: key.botId, person_key: key.personKey });

export async function findTopic(ctx: AppContext, key: TopicKey): Promise<StaffTopicRow | undefined> {
  return ctx.db<StaffTopicRow>('staff_topics').where(where(key)).first();
}

/**
 * The right to call createForumTopic for this person: exactly one caller gets it (an insert that
 * ignores a concurrent twin, or a conditional update of what was read), on SQLite and PostgreSQL
 * alike, so concurrent handovers make one topic. A fresh claim of someone else is `false`.
 */
async function claimCreation(ctx: AppContext, key: TopicKey, seen: StaffTopicRow | undefined): Promise<number | false> {
  const now = ctx.clock.now();
  if (!seen) {
    const inserted = await ctx.db('staff_topics')
      .insert({ ...where(key), state: 'creating', claimed_at: now, updated_at: now })
      .onConflict(['bot_id', 'person_key'])
      .ignore()
      .returning('person_key');
    return inserted.length > 0 ? now : false;
  }
  if (seen.state === 'creating' && Number(seen.claimed_at) > now - CLAIM_MS) return false;
  const updated = await ctx.db('staff_topics')
    .where({ ...where(key), state: seen.state, claimed_at: seen.claimed_at })
    .update({ state: 'creating', claimed_at: now, updated_at: now });
  return updated > 0 ? now : false;
}

/**
 * The open topic of this person in the staff group `chatId`: the open one, the closed one
 * reopened, or a new one named `name`. `busy` while another process is creating it.
 */
export async function openTopic(ctx: AppContext, api: Api, key: TopicKey, chatId: string, name: string): Promise<number | 'busy'> {
  const seen = await findTopic(ctx, key);
  const inThisGroup = seen?.chat_id === chatId && seen.thread_id !== null;
  if (seen && inThisGroup && seen.state === 'open') return Number(seen.thread_id);
  if (seen && inThisGroup && seen.state === 'closed' && (await reopenTopic(api, chatId, Number(seen.thread_id)))) {
    await ctx.db('staff_topics').where(where(key)).update({ state: 'open', updated_at: ctx.clock.now() });
    return Number(seen.thread_id);
  }
  const claim = await claimCreation(ctx, key, seen);
  if (claim === false) return 'busy';
  try {
    const threadId = await createTopic(api, chatId, name);
    await ctx.db('staff_topics').where(where(key)).update({ chat_id: chatId, thread_id: threadId, state: 'open', updated_at: ctx.clock.now() });
    return threadId;
  } catch (error) {
    // Let the next attempt claim at once instead of after CLAIM_MS.
    await ctx.db('staff_topics').where({ ...where(key), state: 'creating', claimed_at: claim }).update({ state: 'closed', chat_id: null, thread_id: null });
    throw error;
  }
}

/** The topic no longer exists in Telegram (deleted): the next send makes a new one. */
export async function forgetTopic(ctx: AppContext, key: TopicKey, threadId: number): Promise<void> {
  await ctx.db('staff_topics').where({ ...where(key), thread_id: threadId }).update({ state: 'closed', chat_id: null, thread_id: null, updated_at: ctx.clock.now() });
}

export async function markTopicClosed(ctx: AppContext, key: TopicKey, threadId: number): Promise<void> {
  await ctx.db('staff_topics').where({ ...where(key), thread_id: threadId, state: 'open' }).update({ state: 'closed', updated_at: ctx.clock.now() });
}
