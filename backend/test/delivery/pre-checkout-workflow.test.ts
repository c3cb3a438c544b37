import { createTelegramBot, seedLinkedLeads, useStandinBackend, waitUntilDone } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect } from '../support/test-backend';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';

describe(`pre-checkout decided by the workflow (${dialect})`, () => {
  const setup = useStandinBackend();
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => receiver?.close());

  const invoice = { title: 'Consultation', description: '30 minutes with a coach', payload: 'consult:42', currency: 'XTR', prices: [{ label: 'Consultation', amount: 250 }] };
  const refusal = { ok: false, errorMessage: 'No workflow answered' };

  /** A bot in "workflow" mode whose workflow (the receiver) subscribes to payment.pre_checkout, and an invoice sent to a person. */
  async function sellingBot(chatId: number, payments: Record<string, unknown>, subscribe = true) {
    const bot = await createTelegramBot(setup.backend, setup.standin);
    setup.backend.ctx.wakeups.wake('telegram');
    const api = (method: string, path: string, body?: unknown) => setup.backend.request(method, `/api/v1/bots/${bot.botId}${path}`, { token: bot.token, body });
    expect((await api('PUT', '/telegram/payments', payments)).status).toBe(200);
    if (subscribe) expect((await api('POST', '/subscriptions', { url: `${receiver.url}/bot${bot.botId}`, events: ['payment.pre_checkout'] })).status).toBe(201);
    const [lead] = await seedLinkedLeads(setup.backend.ctx.db, bot.botId, [chatId]);
    const sent = await api('POST', '/messages', { leadIds: [lead.leadId], invoice });
    await waitUntilDone(setup.backend, bot.botId, bot.token, sent.body.messageId);
    const delivered = async () => {
      const got = await eventually(async () => receiver.received.find((r) => r.path.endsWith(`/bot${bot.botId}`)));
      return got.body as { id: number; data: Record<string, unknown> };
    };
    return { ...bot, api, delivered };
  }

  it('checks the settings: within Telegram\'s deadline, an error message to refuse with', async () => {
    const { botId, token } = await setup.backend.createBot();
    const put = (body: unknown) => setup.backend.request('PUT', `/api/v1/bots/${botId}/telegram/payments`, { token, body });
    const tooLong = await put({ preCheckout: 'workflow', workflowTimeoutMs: 9000 });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors[0]).toMatchObject({ path: 'workflowTimeoutMs' });
    expect((await put({ answer: { ok: false } })).body.errors[0]).toMatchObject({ path: 'answer.errorMessage' });
    expect((await setup.backend.request('GET', `/api/v1/bots/${botId}/telegram/payments`, { token })).body.payments).toEqual({ preCheckout: 'rule', workflowTimeoutMs: 5000, answer: { ok: true } });
  });

  it('the workflow answers in time: its answer reaches Telegram, a second answer is refused', async () => {
    const bot = await sellingBot(7701, { preCheckout: 'workflow', workflowTimeoutMs: 8000, answer: refusal });
    const paying = bot.telegram.payInvoice(7701);
    const event = await bot.delivered();
    expect(event.data).toMatchObject({ approved: null, answer: 'workflow', answerWithinMs: 8000, payload: 'consult:42' });
    const answered = await bot.api('POST', `/payments/pre-checkouts/${event.id}/answer`, { ok: true });
    expect(answered.status).toBe(200);
    expect(await paying).toMatchObject({ paid: true });
    expect((await bot.api('POST', `/payments/pre-checkouts/${event.id}/answer`, { ok: true })).status).toBe(409);
    const hop = await setup.backend.ctx.db('trace_hops').where({ bot_id: bot.botId, hop: 'payment.pre_checkout_answered', status: 'answered' }).first();
    expect(JSON.parse(hop.detail)).toMatchObject({ event_id: event.id, by: 'api' });
  }, 60_000);

  it('a late answer: the default is sent before Telegram\'s deadline and the late answer gets 409', async () => {
    const bot = await sellingBot(7702, { preCheckout: 'workflow', workflowTimeoutMs: 500, answer: refusal });
    const paid = await bot.telegram.payInvoice(7702);
    // The stand-in reports "no answer within 10 s" when Telegram's deadline passes unanswered.
    expect(paid).toEqual({ paid: false, reason: 'No workflow answered' });
    const event = await bot.delivered();
    const late = await bot.api('POST', `/payments/pre-checkouts/${event.id}/answer`, { ok: true });
    expect(late.status).toBe(409);
    expect(late.body.message).toMatch(/Too late/);
    const row = await setup.backend.ctx.db('call_answers').where({ event_id: event.id }).first();
    expect(row).toMatchObject({ status: 'fallback', reason: 'no answer within 500 ms' });
  }, 60_000);

  it('two answers at once: exactly one wins, Telegram gets that one', async () => {
    const bot = await sellingBot(7703, { preCheckout: 'workflow', workflowTimeoutMs: 8000, answer: refusal });
    const paying = bot.telegram.payInvoice(7703);
    const event = await bot.delivered();
    const answers = await Promise.all([
      bot.api('POST', `/payments/pre-checkouts/${event.id}/answer`, { ok: true }),
      bot.api('POST', `/payments/pre-checkouts/${event.id}/answer`, { ok: false, errorMessage: 'Sold out' }),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const winner = answers[0].status === 200 ? 0 : 1;
    expect(await paying).toEqual(winner === 0 ? expect.objectContaining({ paid: true }) : { paid: false, reason: 'Sold out' });
  }, 60_000);

  it('no workflow subscribes: the default is sent at once, not after the timeout; the rule mode refuses an answer', async () => {
    const bot = await sellingBot(7704, { preCheckout: 'workflow', workflowTimeoutMs: 8000, answer: { ok: false, errorMessage: 'Closed for today' } }, false);
    expect(await bot.telegram.payInvoice(7704)).toEqual({ paid: false, reason: 'Closed for today' });
    const event = await setup.backend.ctx.db('events').where({ bot_id: bot.botId, type: 'payment.pre_checkout' }).first();
    expect(await setup.backend.ctx.db('call_answers').where({ event_id: event.id }).first()).toMatchObject({ status: 'fallback', reason: 'no workflow subscribes to payment.pre_checkout' });

    const ruled = await sellingBot(7705, { preCheckout: 'rule', answer: { ok: true } }, false);
    expect(await ruled.telegram.payInvoice(7705)).toMatchObject({ paid: true });
    // The rule answers Telegram before the event is recorded.
    const ruledEvent = await eventually(async () => setup.backend.ctx.db('events').where({ bot_id: ruled.botId, type: 'payment.pre_checkout' }).first());
    expect(JSON.parse(ruledEvent.payload)).toMatchObject({ approved: true });
    expect((await ruled.api('POST', `/payments/pre-checkouts/${ruledEvent.id}/answer`, { ok: true })).status).toBe(409);
    expect((await ruled.api('POST', '/payments/pre-checkouts/999999999/answer', { ok: true })).status).toBe(404);
    expect((await ruled.api('POST', `/payments/pre-checkouts/${ruledEvent.id}/answer`, { ok: false })).status).toBe(422);
  }, 60_000);
});
