/**
 * The examples that call outside services — quote of the day, weather, fitness, payment — and
 * the paid consultation for Telegram Stars (the stand-in enforces the payment flow),
 * imported from examples/workflows into one real n8n, each on a bot of its own, and driven through
 * their scenarios: users act in the Telegram stand-in, the services are local stand-ins with the real
 * response shapes.
 */
import { type StandinBot, TelegramStandin, createTelegramBot, startDeliveryBackend } from '../../../backend/test/support/delivery';
import type { TestBackend } from '../../../backend/test/support/test-backend';
import { describeWithN8n } from '../../nodes/support/n8n-runtime';
import { type CrmStandin, startCrmStandin } from '../support/crm-standin';
import { N8nInstance, type N8nServer, waitUntil } from '../support/n8n-server';
import { startFavqs, startWeatherApi, startYooKassa, type YooKassa } from '../support/service-standins';
import { type ExampleWorkflow, loadExampleWorkflow, type SettingValue } from './support/example-stack';

jest.setTimeout(60_000);

const WEATHER_KEY = 'weather-test-key';
const WEATHER_BUTTONS = { inline_keyboard: [[{ text: 'Weather now', callback_data: 'weather' }, { text: '24-hour forecast', callback_data: 'forecast' }], [{ text: 'Change city', callback_data: 'city' }]] };
const SHOP = { id: '506751', secret: 'test_secret_key' };
const EXAMPLES = ['quote', 'weather', 'fitness', 'payment', 'consultation'] as const;
type Example = (typeof EXAMPLES)[number];

interface ExampleBot {
  botId: number;
  token: string;
  telegram: StandinBot;
}

/** The example on a bot of its own: its Metabot nodes get that bot's credential instead of the shared example one. */
function onOwnBot(workflow: ExampleWorkflow, example: Example, otherCredentials: Record<string, string> = {}): ExampleWorkflow {
  const ids: Record<string, string> = { metabotApi: `metabot-${example}`, ...otherCredentials };
  for (const node of workflow.nodes) {
    for (const type of Object.keys(node.credentials ?? {})) node.credentials![type] = { id: ids[type], name: ids[type] };
  }
  return workflow;
}

describeWithN8n('example workflows with outside services, in a real n8n', () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let n8n: N8nServer;
  let favqs: CrmStandin;
  let weatherApi: CrmStandin;
  let yookassa: YooKassa;
  let crm: CrmStandin;
  const bots = {} as Record<Example, ExampleBot>;
  const api = (bot: ExampleBot, method: string, urlPath: string, body?: unknown) => backend.request(method, `/api/v1/bots/${bot.botId}${urlPath}`, { token: bot.token, body });

  /** The lead the backend made for a Telegram chat of the bot. */
  const leadOf = async (bot: ExampleBot, chatId: number) => backend.ctx.db('leads').where({ bot_id: bot.botId, chat_id: String(chatId) }).first();

  /**
   * A Send and Wait question takes the answer only once its wait is registered (after the backend
   * recorded the question as sent; an answer removes it). A person needs longer to read the question.
   */
  async function waitPending(bot: ExampleBot, chatId: number) {
    await waitUntil(async () => {
      const lead = await leadOf(bot, chatId);
      return lead !== undefined && (await backend.ctx.db('message_waits').where({ lead_id: lead.id }).first()) !== undefined;
    }, 20_000, `the question to chat ${chatId} to wait for its answer`);
  }

  async function nextMessage(bot: ExampleBot, chatId: number, seen: number) {
    await waitUntil(async () => bot.telegram.messagesTo(chatId).length > seen, 30_000, `message ${seen + 1} to chat ${chatId}`);
    return bot.telegram.messagesTo(chatId)[seen];
  }

  /** The bot asks (Send and Wait for free text) and the person answers; resolves with the bot's next message. */
  async function answerQuestion(bot: ExampleBot, chatId: number, seen: number, question: string, answer: string) {
    expect((await nextMessage(bot, chatId, seen)).text).toBe(question);
    await waitPending(bot, chatId);
    bot.telegram.userSends(chatId, answer);
    return nextMessage(bot, chatId, seen + 1);
  }

  beforeAll(async () => {
    standin = await TelegramStandin.start();
    backend = await startDeliveryBackend(standin);
    favqs = await startFavqs({ body: 'Simplicity is prerequisite for reliability.', author: 'Edsger W. Dijkstra' });
    weatherApi = await startWeatherApi(WEATHER_KEY, [{ name: 'Moscow', country: 'Russia', tempC: -3, condition: { text: 'Light snow', code: 1213 } }]);
    yookassa = await startYooKassa(SHOP.id, SHOP.secret);
    crm = await startCrmStandin();
    for (const example of EXAMPLES) bots[example] = await createTelegramBot(backend, standin);

    const load = (example: Example, file: string, settings: Record<string, SettingValue>, otherCredentials?: Record<string, string>) =>
      onOwnBot(loadExampleWorkflow(file, settings), example, otherCredentials);
    const instance = await N8nInstance.create();
    await instance.setup({
      credentials: [
        ...EXAMPLES.map((example) => ({
          id: `metabot-${example}`,
          name: `metabot-${example}`,
          type: 'metabotApi',
          data: { serverUrl: `${backend.url}/api/v1`, botId: bots[example].botId, token: bots[example].token },
        })),
        { id: 'weather-key', name: 'weather-key', type: 'httpQueryAuth', data: { name: 'key', value: WEATHER_KEY } },
        { id: 'yookassa-shop', name: 'yookassa-shop', type: 'httpBasicAuth', data: { user: SHOP.id, password: SHOP.secret } },
      ],
      workflows: [
        load('quote', 'quote-of-the-day', { quoteApiUrl: `${favqs.url}/api` }),
        load('weather', 'weather', { weatherApiUrl: `${weatherApi.url}/v1` }, { httpQueryAuth: 'weather-key' }),
        load('fitness', 'fitness', {}),
        load('payment', 'payment', { yookassaApiUrl: `${yookassa.url}/v3`, crmUrl: crm.url }, { httpBasicAuth: 'yookassa-shop' }),
        load('consultation', 'consultation', { priceStars: 250, cancelWindowMinutes: 60 }),
      ],
    });
    n8n = await instance.start();
    yookassa.notificationUrl = n8n.webhookUrl('yookassa-notifications');
    for (const bot of Object.values(bots)) await waitUntil(async () => (await api(bot, 'GET', '/subscriptions')).body.subscriptions?.length === 1, 60_000, `the subscription of bot ${bot.botId}`);
    await n8n.waitForWebhook('yookassa-notifications');
  }, 600_000);

  afterAll(async () => {
    await n8n?.stop();
    for (const server of [favqs, weatherApi, yookassa, crm]) await server?.close();
    await backend?.close();
    await standin?.close();
  }, 30_000);

  describe('quote of the day', () => {
    const chat = 1101;

    it('asks the name once, remembers it on the lead, and greets by name', async () => {
      const { telegram } = bots.quote;
      telegram.setUser(chat, { first_name: 'Anna' });
      telegram.userStarts(chat);
      const greeting = await answerQuestion(bots.quote, chat, 0, "Hi! I send a quote every day. What's your name?", '  Annushka ');
      expect(greeting.text).toBe('Nice to meet you, Annushka! Tap the button for the quote of the day.');
      expect(greeting.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Quote of the day', callback_data: 'quote' }]] });
      const lead = await leadOf(bots.quote, chat);
      expect((await api(bots.quote, 'GET', `/leads/${lead.id}`)).body.lead.attributes).toEqual({ name: 'Annushka' });

      telegram.userSends(chat, 'hello again');
      expect((await nextMessage(bots.quote, chat, 2)).text).toBe('Hello, Annushka! Tap the button for the quote of the day.');
    });

    it('a tap on the button fetches favqs qotd and sends the quote with the remembered name', async () => {
      const calls = favqs.calls.length;
      bots.quote.telegram.tapButton(chat, 'quote');
      const quote = await nextMessage(bots.quote, chat, 3);
      expect(quote.text).toBe('Annushka, your quote of the day:\n\n«Simplicity is prerequisite for reliability.»\n— Edsger W. Dijkstra');
      expect(favqs.calls.slice(calls).map((r) => `${r.method} ${r.path}`)).toEqual(['GET /api/qotd']);
    });
  });

  describe('weather bot', () => {
    const chat = 2101;
    const tipFor = async (code: number) =>
      (await api(bots.weather, 'POST', '/tables/weather_tips/rows/query', { filter: { match: 'all', conditions: [{ column: 'code', op: 'eq', value: code }] } })).body.rows[0]?.tip;

    it('fills the weather_tips table when the workflow is activated', async () => {
      await waitUntil(async () => (await api(bots.weather, 'POST', '/tables/weather_tips/stats/aggregate', { aggregates: [{ fn: 'count' }] })).body.rows?.[0]?.count === 48, 30_000, 'the tips');
      expect(await tipFor(1213)).toBe('Snow: dress warmly and wear boots with a good grip.');
    });

    it('asks the city, then answers with the current weather and the tip of its condition code from the table', async () => {
      const { telegram } = bots.weather;
      // The tip comes from the table at answer time: an edited row changes the answer.
      expect((await api(bots.weather, 'POST', '/tables/weather_tips/rows/upsert', { keys: ['code'], rows: [{ code: 1213, tip: 'Light snow: boots and a warm hat.' }] })).status).toBe(200);
      telegram.userStarts(chat);
      const saved = await answerQuestion(bots.weather, chat, 0, 'Which city are you in?', 'Moscow');
      expect(saved.text).toBe('Got it: Moscow. Tap the button for the weather.');
      expect(saved.replyMarkup).toEqual(WEATHER_BUTTONS);

      telegram.tapButton(chat, 'weather');
      expect((await nextMessage(bots.weather, chat, 2)).text).toBe('Moscow: -3°C, Light snow.\nLight snow: boots and a warm hat.');
      expect(weatherApi.calls.map((r) => r.query)).toEqual([{ key: WEATHER_KEY, q: 'Moscow', aqi: 'no' }]);
    });

    it('the 24-hour forecast: every 3 hours from the next full hour, in one message', async () => {
      // The stand-in's local clock there is 21:30: the next 24 hours run from 22:00 into the next day.
      bots.weather.telegram.tapButton(chat, 'forecast');
      const forecast = await nextMessage(bots.weather, chat, 3);
      expect(forecast.text).toBe(
        [
          'Moscow, the next 24 hours:',
          '22:00  -4°C, Overcast',
          '01:00  -4°C, Light snow',
          '04:00  -4°C, Light snow',
          '07:00  -4°C, Light snow',
          '10:00  -2°C, Overcast',
          '13:00  -2°C, Overcast',
          '16:00  -2°C, Overcast',
          '19:00  -4°C, Overcast',
        ].join('\n'),
      );
      expect(forecast.replyMarkup).toEqual(WEATHER_BUTTONS);
      expect(weatherApi.calls.at(-1)).toMatchObject({ path: '/v1/forecast.json', query: { key: WEATHER_KEY, q: 'Moscow', days: '2', aqi: 'no', alerts: 'no' } });
    });

    it('a city the service does not know gets an honest answer and the offer to change it', async () => {
      const { telegram } = bots.weather;
      telegram.tapButton(chat, 'city');
      expect((await answerQuestion(bots.weather, chat, 4, 'Which city are you in?', 'Atlantis')).text).toBe('Got it: Atlantis. Tap the button for the weather.');
      telegram.tapButton(chat, 'weather');
      const sorry = await nextMessage(bots.weather, chat, 6);
      expect(sorry.text).toBe("Sorry, I couldn't get the weather for Atlantis. Is the city name right?");
      expect(sorry.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Change city', callback_data: 'city' }]] });
      telegram.tapButton(chat, 'forecast');
      expect((await nextMessage(bots.weather, chat, 7)).text).toBe("Sorry, I couldn't get the weather for Atlantis. Is the city name right?");
    });
  });

  describe('fitness bot', () => {
    const chat = 3101;

    it('logs workouts into the shared table and answers with the TOP-5 of the week and the percentile', async () => {
      const { telegram } = bots.fitness;
      const now = Date.now();
      const lastWeek = new Date(now - 8 * 86_400_000).toISOString();
      const row = (leadId: string, name: string, minutes: number, at = new Date(now).toISOString()) => ({ leadId, name, activity: 'run', minutes, at });
      await waitUntil(async () => (await api(bots.fitness, 'GET', '/tables/workouts')).status === 200, 30_000, 'the workouts table');
      const seeded = await api(bots.fitness, 'POST', '/tables/workouts/rows', {
        rows: [row('ld_ann', 'Ann', 20), row('ld_bob', 'Bob', 50), row('ld_carl', 'Carl', 70), row('ld_dana', 'Dana', 60), row('ld_dana', 'Dana', 60), row('ld_zed', 'Zed', 500, lastWeek)],
      });
      expect(seeded.status).toBe(201);
      telegram.setUser(chat, { first_name: 'Max' });

      telegram.userSends(chat, 'Run 45');
      expect((await nextMessage(bots.fitness, chat, 0)).text).toBe(
        'Logged: run, 45 min.\n\nTOP-5 this week:\n1. Dana — 120 min\n2. Carl — 70 min\n3. Bob — 50 min\n4. Max — 45 min\n5. Ann — 20 min\n\nThis week you were more active than 20% of users.',
      );
      telegram.userSends(chat, 'swim 30 min');
      expect((await nextMessage(bots.fitness, chat, 1)).text).toBe(
        'Logged: swim, 30 min.\n\nTOP-5 this week:\n1. Dana — 120 min\n2. Max — 75 min\n3. Carl — 70 min\n4. Bob — 50 min\n5. Ann — 20 min\n\nThis week you were more active than 60% of users.',
      );
      const lead = await leadOf(bots.fitness, chat);
      const mine = await api(bots.fitness, 'POST', '/tables/workouts/rows/query', { filter: { match: 'all', conditions: [{ column: 'leadId', op: 'eq', value: lead.id }] }, sort: [{ column: 'id', direction: 'asc' }] });
      expect(mine.body.rows.map((r: Record<string, unknown>) => [r.name, r.activity, r.minutes])).toEqual([['Max', 'run', 45], ['Max', 'swim', 30]]);
    });

    it('anything else gets the how-to', async () => {
      bots.fitness.telegram.userSends(chat, 'what can you do?');
      expect((await nextMessage(bots.fitness, chat, 2)).text).toMatch(/^Send me each workout as “activity minutes”/);
    });
  });

  describe('payment in the chat', () => {
    const chat = 4101;

    it('offers, creates the payment on Buy and sends the pay link as a URL button', async () => {
      const { telegram } = bots.payment;
      telegram.userSends(chat, 'hi');
      const offer = await nextMessage(bots.payment, chat, 0);
      expect(offer.text).toBe('Chatbot course: 990.00 RUB. Pay right here in the chat.');
      telegram.tapButton(chat, 'buy');
      const payLink = await nextMessage(bots.payment, chat, 1);

      const [create] = yookassa.calls.filter((r) => r.method === 'POST');
      const lead = await leadOf(bots.payment, chat);
      const orderId = create.body.metadata.orderId as string;
      expect(orderId).toMatch(/^\d+$/);
      expect(create).toMatchObject({
        path: '/v3/payments',
        body: { amount: { value: '990.00', currency: 'RUB' }, capture: true, confirmation: { type: 'redirect', return_url: 'https://t.me/your_bot' }, description: 'Chatbot course', metadata: { leadId: lead.id } },
      });
      // The stand-in refuses a wrong shop login, so the payment exists only with the credential's Basic auth.
      expect([...yookassa.idempotenceKeys.keys()]).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);
      const [payment] = [...yookassa.payments.values()];
      expect(payLink.text).toBe(`Order ${orderId}: Chatbot course, 990.00 RUB.\nTap the button to pay.`);
      expect(payLink.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Pay', url: payment.confirmation.confirmation_url }]] });
    });

    it("on YooKassa's payment.succeeded: checks the payment, confirms the order to the user once, tells the CRM", async () => {
      const forged = await fetch(yookassa.notificationUrl, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ type: 'notification', event: 'payment.succeeded', object: { id: 'forged-payment', status: 'succeeded', metadata: { leadId: 'ld_x' } } }),
      });
      expect(forged.status).toBe(200);
      const [payment] = [...yookassa.payments.values()];
      expect(await yookassa.succeed(payment.id)).toBe(200);
      const confirmation = await nextMessage(bots.payment, chat, 2);
      const orderId = payment.metadata.orderId;
      expect(confirmation.text).toBe(`Payment received: order ${orderId} (990.00 RUB) is confirmed. Thank you!`);
      await waitUntil(async () => crm.received.length === 1, 30_000, 'the CRM call');
      expect(crm.received[0]).toMatchObject({
        path: '/orders/paid',
        body: { orderId, paymentId: payment.id, amount: { value: '990.00', currency: 'RUB' }, leadId: payment.metadata.leadId, userId: null, paidAt: payment.captured_at },
      });
      // YooKassa repeats a notification until it gets a 200 in time: the user still hears once.
      expect(await yookassa.succeed(payment.id)).toBe(200);
      await waitUntil(async () => crm.received.length === 2, 30_000, 'the repeated CRM call');
      expect(crm.received[1].body).toEqual(crm.received[0].body);
      expect(bots.payment.telegram.messagesTo(chat)).toHaveLength(3);
      // The forged notification was checked against the API and went no further.
      expect(yookassa.calls.some((r) => r.method === 'GET' && r.path === '/v3/payments/forged-payment')).toBe(true);
    });
  });

  describe('paid consultation for Telegram Stars', () => {
    const [first, second] = [6101, 6102];
    const slots = () => api(bots.consultation, 'POST', '/tables/consultation_slots/rows/query', { sort: [{ column: 'id', direction: 'asc' }] }).then((r) => r.body.rows as Array<Record<string, unknown>>);
    const setSlots = (filter: unknown, set: Record<string, unknown>) => api(bots.consultation, 'PATCH', '/tables/consultation_slots/rows', { filter, set });
    const leadIs = (value: string) => ({ match: 'all', conditions: [{ column: 'leadId', op: 'eq', value }] });
    const freeOnly = { match: 'all', conditions: [{ column: 'leadId', op: 'isEmpty' }] };
    const payments = (body: unknown) => api(bots.consultation, 'PUT', '/telegram/payments', body);
    let firstCharge: string;

    /** The person asks, gets the offer, taps Book and gets the Stars invoice; resolves with the lead. */
    async function bookAndGetInvoice(chat: number, seen: number) {
      const { telegram } = bots.consultation;
      telegram.userSends(chat, 'I would like a consultation');
      const offer = await nextMessage(bots.consultation, chat, seen);
      expect(offer.text).toBe('A 30-minute consultation with a coach, online: 250 ⭐ (Telegram Stars).\nChanged your mind? Cancel within 60 minutes of paying and the Stars come back.');
      expect(offer.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Book for 250 ⭐', callback_data: 'book' }]] });
      telegram.tapButton(chat, 'book');
      const invoice = await nextMessage(bots.consultation, chat, seen + 1);
      const lead = await leadOf(bots.consultation, chat);
      expect(invoice).toMatchObject({ method: 'sendInvoice', invoice: { title: 'Consultation', currency: 'XTR', totalAmount: 250, payload: `consult:${lead.id}`, prices: [{ label: 'Consultation', amount: 250 }] } });
      return lead;
    }

    beforeAll(async () => {
      // The workflow decides the pre-checkout; 8 s leaves room for a loaded machine inside Telegram's 10 s.
      expect((await payments({ preCheckout: 'workflow', workflowTimeoutMs: 8000, answer: { ok: false, errorMessage: 'Sorry, we could not confirm the booking. Nothing was charged.' } })).status).toBe(200);
      await waitUntil(async () => (await slots().catch(() => [])).length === 3, 30_000, 'the consultation slots');
    });

    it('sells the consultation for Stars: invoice, pre-checkout approved by the workflow, the slot booked in the table on payment', async () => {
      const lead = await bookAndGetInvoice(first, 0);
      const paid = await bots.consultation.telegram.payInvoice(first);
      expect(paid).toMatchObject({ paid: true });
      firstCharge = paid.chargeId!;
      const confirmation = await nextMessage(bots.consultation, first, 2);
      expect(confirmation.text).toBe('Paid, thank you! Your consultation: Mon 7 Dec, 10:00.\nThe coach will write to you here. Changed your mind? Cancel within 60 minutes for a full refund.');
      expect(confirmation.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Cancel the booking', callback_data: 'cancel' }]] });
      const [booked, ...others] = await slots();
      expect(booked).toMatchObject({ slot: 'Mon 7 Dec, 10:00', leadId: lead.id, chargeId: firstCharge });
      expect(others.map((row) => row.leadId ?? '')).toEqual(['', '']);
    });

    it('refuses the pre-checkout while every slot is taken: nothing is charged', async () => {
      expect((await setSlots(freeOnly, { leadId: 'ld_someone_else' })).status).toBe(200);
      await bookAndGetInvoice(second, 0);
      expect(await bots.consultation.telegram.payInvoice(second)).toEqual({ paid: false, reason: 'Sorry, all consultation slots are taken. Nothing was charged.' });
    });

    it('with the bot answering by rule, a payment that finds no free slot is refunded at once', async () => {
      expect((await payments({ preCheckout: 'rule', answer: { ok: true } })).status).toBe(200);
      const paid = await bots.consultation.telegram.payInvoice(second);
      expect(paid.paid).toBe(true);
      expect((await nextMessage(bots.consultation, second, 2)).text).toBe('Sorry, the last slot was booked a moment before your payment. Your 250 Stars are refunded.');
      expect(bots.consultation.telegram.charge(paid.chargeId!)?.refunded).toBe(true);
      expect((await setSlots(leadIs('ld_someone_else'), { leadId: '' })).status).toBe(200);
      expect((await payments({ preCheckout: 'workflow', workflowTimeoutMs: 8000 })).status).toBe(200);
    });

    it('Cancel within the window refunds the Stars once and frees the slot', async () => {
      bots.consultation.telegram.tapButton(first, 'cancel');
      expect((await nextMessage(bots.consultation, first, 3)).text).toBe('Cancelled: your 250 Stars are back on your balance. Mon 7 Dec, 10:00 is free again.');
      expect(bots.consultation.telegram.charge(firstCharge)?.refunded).toBe(true);
      expect((await slots()).map((row) => row.leadId ?? '')).toEqual(['', '', '']);
      bots.consultation.telegram.tapButton(first, 'cancel');
      expect((await nextMessage(bots.consultation, first, 4)).text).toBe('You have no paid consultation to cancel.');
    });

    it('Cancel after the window is refused and the booking stays', async () => {
      const { telegram } = bots.consultation;
      telegram.tapButton(second, 'book');
      await nextMessage(bots.consultation, second, 3);
      const paid = await telegram.payInvoice(second);
      expect(paid.paid).toBe(true);
      expect((await nextMessage(bots.consultation, second, 4)).text).toMatch(/^Paid, thank you! Your consultation: Mon 7 Dec, 10:00\./);
      const lead = await leadOf(bots.consultation, second);
      // Paid two hours ago, as far as the booking says.
      expect((await setSlots(leadIs(lead.id), { paidAt: new Date(Date.now() - 2 * 3_600_000).toISOString() })).status).toBe(200);
      telegram.tapButton(second, 'cancel');
      expect((await nextMessage(bots.consultation, second, 5)).text).toBe('The free cancellation window (60 minutes after paying) has passed. Write to us here if something came up.');
      expect(telegram.charge(paid.chargeId!)?.refunded).toBe(false);
      expect((await slots())[0]).toMatchObject({ leadId: lead.id, chargeId: paid.chargeId });
    });
  });
});
