/**
 * A person in one channel, as an example test drives them: they open a one-time link, read what
 * the bot sent, tap a button by its data and write. One interface over the Telegram, VK and
 * WhatsApp stand-ins and the web chat's visitor API, so an example's test runs unchanged in each channel.
 */
import type { StandinBot } from '../../../../backend/test/support/delivery';
import type { TestBackend } from '../../../../backend/test/support/test-backend';
import { newVisitor, type TestVisitor } from '../../../../backend/test/support/webchat';
import type { StandinCommunity } from '../../../vk-standin';
import type { StandinNumber } from '../../../whatsapp-standin';
import { waitUntil } from '../../support/n8n-server';

export type ChannelName = 'telegram' | 'vk' | 'whatsapp' | 'webchat';

/** A message as the person sees it: its text (or caption) and the data of the buttons under it. */
export interface SeenMessage {
  text: string;
  buttons: Array<{ text: string; data?: string; url?: string }>;
}

/** The links of one link token, as POST /link-tokens answers them and a CRM shows them to its user. */
export interface LinkUrls {
  telegramUrl: string | null;
  vkUrl: string | null;
  whatsappUrl: string | null;
  webchatUrl: string;
}

/** The token in one of the links: t.me/<bot>?start=, vk.me/<community>?ref=, /chat/<bot>?link= (wa.me/<number>?text= holds "/start <token>"). */
function tokenIn(url: string | null, parameter: string): string {
  const token = url ? new URL(url).searchParams.get(parameter) : null;
  if (!token) throw new Error(`no "${parameter}" token in ${url}`);
  return token;
}

export interface Person {
  readonly channel: ChannelName;
  /** The chat id the backend stores for this person's lead in this channel. */
  readonly chatId: string;
  /** Opens this channel's link of the set, as the person would tap it. */
  opensLink(urls: LinkUrls): Promise<void>;
  messages(): Promise<SeenMessage[]>;
  taps(data: string): Promise<void>;
  writes(text: string): Promise<void>;
}

type TelegramButton = { text: string; callback_data?: string; url?: string };

function telegramPerson(bot: StandinBot, chatId: number, firstName: string): Person {
  bot.setUser(chatId, { first_name: firstName });
  return {
    channel: 'telegram',
    chatId: String(chatId),
    opensLink: async (urls) => void bot.userStarts(chatId, tokenIn(urls.telegramUrl, 'start')),
    messages: async () =>
      bot.messagesTo(chatId).map((m) => ({
        text: m.text ?? m.caption ?? '',
        buttons: ((m.replyMarkup?.inline_keyboard as TelegramButton[][] | undefined) ?? []).flat().map((b) => ({ text: b.text, data: b.callback_data, url: b.url })),
      })),
    taps: async (data) => void bot.tapButton(chatId, data),
    writes: async (text) => void bot.userSends(chatId, text),
  };
}

type VkButton = { action: { type: string; label: string; payload?: string; link?: string } };

/** VK's callback payload carries the button's data as `{"d": data}` (see the VK channel's payloads). */
const vkData = (button: VkButton) => (button.action.type === 'callback' && button.action.payload ? (JSON.parse(button.action.payload) as { d: string }).d : undefined);

function vkPerson(community: StandinCommunity, userId: number): Person {
  const user = community.user(userId);
  const sent = () => community.messagesTo(userId);
  const buttonsOf = (keyboard: Record<string, any> | undefined) => ((keyboard?.buttons as VkButton[][] | undefined) ?? []).flat();
  return {
    channel: 'vk',
    chatId: String(userId),
    opensLink: async (urls) => void user.opensLink(tokenIn(urls.vkUrl, 'ref')),
    messages: async () => sent().map((m) => ({ text: m.text, buttons: buttonsOf(m.keyboard).map((b) => ({ text: b.action.label, data: vkData(b), url: b.action.link })) })),
    async taps(data) {
      const message = [...sent()].reverse().find((m) => buttonsOf(m.keyboard).some((b) => vkData(b) === data));
      if (!message) throw new Error(`VK user ${userId} has no message with a button "${data}"`);
      user.taps(message.conversationMessageId, buttonsOf(message.keyboard).find((b) => vkData(b) === data)!.action.label);
    },
    writes: async (text) => void user.writes(text),
  };
}

type WhatsappChoice = { id: string; title: string };

/** Reply buttons (up to 3) or the rows of a list: both carry the button's data as their id. */
function whatsappChoices(payload: Record<string, any>): WhatsappChoice[] {
  const action = payload.interactive?.action;
  if (!action) return [];
  return action.buttons ? action.buttons.map((b: { reply: WhatsappChoice }) => b.reply) : action.sections.flatMap((section: { rows: WhatsappChoice[] }) => section.rows);
}

function whatsappPerson(number: StandinNumber, waId: string, firstName: string): Person {
  const user = number.user(waId, firstName);
  const sent = () => number.sent.filter((m) => m.to === waId);
  const textOf = (payload: Record<string, any>) => String(payload.text?.body ?? payload.interactive?.body?.text ?? payload.image?.caption ?? '');
  return {
    channel: 'whatsapp',
    chatId: waId,
    // The person taps the wa.me link and sends the text it prefills.
    opensLink: async (urls) => void user.writes(tokenIn(urls.whatsappUrl, 'text')),
    messages: async () => sent().map((m) => ({ text: textOf(m.payload), buttons: whatsappChoices(m.payload).map((c) => ({ text: c.title, data: c.id })) })),
    async taps(data) {
      const message = [...sent()].reverse().find((m) => whatsappChoices(m.payload).some((c) => c.id === data));
      if (!message) throw new Error(`WhatsApp user ${waId} has no message with a button "${data}"`);
      await (message.payload.interactive.type === 'list' ? user.picks(message.id, data) : user.taps(message.id, data));
    },
    writes: async (text) => void user.writes(text),
  };
}

type HistoryMessage = { id: number; direction: string; text?: string; caption?: string; buttons?: TelegramButtonRow[] };
type TelegramButtonRow = Array<{ text: string; data?: string; url?: string }>;

function webchatPerson(visitor: TestVisitor): Person {
  const outgoing = async () => ((await visitor.history()).body.messages as HistoryMessage[]).filter((m) => m.direction === 'out');
  const send = async (update: Record<string, unknown>) => {
    const answer = await visitor.send(update);
    if (answer.status !== 202) throw new Error(`web chat refused ${JSON.stringify(update)}: ${answer.status} ${JSON.stringify(answer.body)}`);
  };
  return {
    channel: 'webchat',
    chatId: visitor.visitorId,
    opensLink: (urls) => send({ kind: 'start', link: tokenIn(urls.webchatUrl, 'link') }),
    messages: async () => (await outgoing()).map((m) => ({ text: m.text ?? m.caption ?? '', buttons: (m.buttons ?? []).flat() })),
    async taps(data) {
      const message = [...(await outgoing())].reverse().find((m) => (m.buttons ?? []).flat().some((b) => b.data === data));
      if (!message) throw new Error(`visitor ${visitor.visitorId} has no message with a button "${data}"`);
      await send({ kind: 'button', messageId: message.id, data });
    },
    writes: (text) => send({ kind: 'text', text }),
  };
}

/** The channels a person can be met in, for one bot: the Telegram, VK and WhatsApp stand-ins, the web chat of the backend. */
export interface PeopleChannels {
  telegram: StandinBot;
  vk: StandinCommunity;
  whatsapp: StandinNumber;
  backend: TestBackend;
  botId: number;
}

/** A new person in `channel`; `seed` makes their chat id unique within a test file. */
export async function personIn(channels: PeopleChannels, channel: ChannelName, seed: number, firstName: string): Promise<Person> {
  if (channel === 'telegram') return telegramPerson(channels.telegram, seed, firstName);
  if (channel === 'vk') return vkPerson(channels.vk, seed);
  if (channel === 'whatsapp') return whatsappPerson(channels.whatsapp, `7918${seed}`, firstName);
  return webchatPerson(await newVisitor(channels.backend, channels.botId));
}

/** Resolves with the person's messages once one starts with `start`. */
export async function untilSeen(person: Person, start: string, timeoutMs = 60_000): Promise<SeenMessage> {
  let found: SeenMessage | undefined;
  await waitUntil(async () => {
    found = (await person.messages()).find((m) => m.text.startsWith(start));
    return found !== undefined;
  }, timeoutMs, `${person.channel} ${person.chatId}: a message starting "${start}"`);
  return found!;
}
