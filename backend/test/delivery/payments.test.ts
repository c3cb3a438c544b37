import { createTelegramBot, seedLinkedLeads, useStandinBackend, waitUntilDone } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect } from '../support/test-backend';

describe(`payments in Telegram (${dialect})`, () => {
  const setup = useStandinBackend();
  const invoice = { title: 'Consultation', description: '30 minutes with a coach', payload: 'consult:42', currency: 'XTR', prices: [{ label: 'Consultation', amount: 250 }] };

  it('sells for Stars: invoice, pre-checkout answered in time, payment with charge ids on the trace, refund once', async () => {
    const { botId, token, telegram } = await createTelegramBot(setup.backend, setup.standin);
    setup.backend.ctx.wakeups.wake('telegram');
    const [lead] = await seedLinkedLeads(setup.backend.ctx.db, botId, [7501]);
    const api = (path: string, body: unknown) => setup.backend.request('POST', `/api/v1/bots/${botId}${path}`, { token, body });

    const twoPrices = await api('/messages', { leadIds: [lead.leadId], invoice: { ...invoice, prices: [...invoice.prices, { label: 'Extra', amount: 1 }] } });
    expect(twoPrices.status).toBe(422);
    expect(twoPrices.body.errors[0]).toMatchObject({ path: 'invoice.prices', message: expect.stringMatching(/XTR/) });
    expect((await api('/messages', { leadIds: [lead.leadId], invoice: { ...invoice, currency: 'RUB' } })).body.errors[0].path).toBe('invoice.providerToken');

    const sent = await api('/messages', { leadIds: [lead.leadId], invoice });
    await waitUntilDone(setup.backend, botId, token, sent.body.messageId);
    expect(telegram.messagesTo(7501)[0]).toMatchObject({ method: 'sendInvoice', invoice: { currency: 'XTR', totalAmount: 250, payload: 'consult:42' } });

    const paid = await telegram.payInvoice(7501);
    expect(paid.paid).toBe(true);
    const succeeded = await eventually(async () => setup.backend.ctx.db('events').where({ bot_id: botId, type: 'payment.succeeded' }).first());
    expect(JSON.parse(succeeded.payload)).toMatchObject({ payload: 'consult:42', currency: 'XTR', totalAmount: 250, telegramPaymentChargeId: paid.chargeId });
    expect(succeeded.lead_id).toBe(lead.leadId);
    const pre = await setup.backend.ctx.db('events').where({ bot_id: botId, type: 'payment.pre_checkout' }).first();
    expect(JSON.parse(pre.payload)).toMatchObject({ approved: true, totalAmount: 250 });
    const hop = await setup.backend.ctx.db('trace_hops').where({ bot_id: botId, hop: 'payment.succeeded' }).first();
    expect(JSON.parse(hop.detail)).toMatchObject({ telegramPaymentChargeId: paid.chargeId });

    const refund = await api('/payments/refund', { leadId: lead.leadId, telegramPaymentChargeId: paid.chargeId });
    expect(refund.status).toBe(200);
    expect(telegram.charge(paid.chargeId!)?.refunded).toBe(true);
    expect(await setup.backend.ctx.db('events').where({ bot_id: botId, type: 'payment.refunded' }).first()).toBeDefined();
    const again = await api('/payments/refund', { leadId: lead.leadId, telegramPaymentChargeId: paid.chargeId });
    expect(again.status).toBe(409);
    expect(again.body.message).toMatch(/CHARGE_ALREADY_REFUNDED/);
  }, 60_000);

  it('a pre-checkout answer after the deadline is refused and nothing is paid', async () => {
    const { botId, token, telegram } = await createTelegramBot(setup.backend, setup.standin);
    setup.backend.ctx.wakeups.wake('telegram');
    const [lead] = await seedLinkedLeads(setup.backend.ctx.db, botId, [7601]);
    const sent = await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.leadId], invoice } });
    await waitUntilDone(setup.backend, botId, token, sent.body.messageId);
    telegram.setPreCheckoutDeadline(0);
    const late = await telegram.payInvoice(7601);
    expect(late).toMatchObject({ paid: false, reason: expect.stringMatching(/within 10 s/) });
    await eventually(async () => setup.backend.ctx.db('events').where({ bot_id: botId, type: 'payment.pre_checkout' }).first());
    expect(await setup.backend.ctx.db('events').where({ bot_id: botId, type: 'payment.succeeded' }).first()).toBeUndefined();
  }, 60_000);
});
