import { waitUntilDone, type SeededLead, type StandinBot } from '../../backend/test/support/delivery';
import { eventually } from '../../backend/test/support/eventually';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { startWebhookReceiver } from '../../backend/test/support/webhook-receiver';
import { describeWithN8n } from './support/n8n-runtime';
import { startTelegramStand, type TelegramStand } from './support/telegram-stand';

describeWithN8n('Call Communication after a send, files and payments in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];

  let stand: TelegramStand;
  beforeAll(async () => {
    stand = await startTelegramStand({ chatIds: [9101, 9102] });
    ({ backend, engine, botId, token, telegram, leads } = stand);
    backend.ctx.wakeups.wake('telegram');
  }, 120_000);
  afterAll(() => stand?.close());

  const node = (name: string, parameters: Record<string, unknown>) => ({ name, type: 'callCommunication', parameters: { resource: 'message', ...parameters } });

  it('edits the text and buttons of a message sent to two people, shows typing, and deletes it for one of them', async () => {
    const sent = await engine.run([node('Send', { operation: 'send', recipientType: 'leadIds', recipients: leads.map((l) => l.leadId).join(','), text: 'Order is being packed' })]);
    const messageId = String(sent.output('Send')[0].json.messageId);
    await waitUntilDone(backend, botId, token, messageId);
    // The stand-in's records change in place with every edit and delete.
    const [first, second] = leads.map((lead) => telegram.messagesTo(lead.chatId).find((m) => m.text === 'Order is being packed')!);

    const edited = await engine.run([
      node('Edit', { operation: 'editMessage', messageId, editText: 'Order <b>shipped</b>', editParseMode: 'HTML', buttons: { button: [{ text: 'Track', type: 'url', value: 'https://example.com/t/1' }] } }),
    ]);
    expect(edited.output('Edit')[0].json).toMatchObject({ success: true, results: [{ ok: true }, { ok: true }] });
    for (const message of [first, second]) {
      expect(message.edits.at(-1)).toMatchObject({ text: 'Order <b>shipped</b>', replyMarkup: { inline_keyboard: [[{ text: 'Track', url: 'https://example.com/t/1' }]] } });
    }

    const typing = await engine.run([node('Typing', { operation: 'sendTyping', recipientType: 'leadIds', recipients: leads[0].leadId, chatAction: 'upload_document' })]);
    expect(typing.output('Typing')[0].json).toMatchObject({ success: true, results: [{ leadId: leads[0].leadId, ok: true }] });

    const deleted = await engine.run([node('Delete', { operation: 'deleteMessage', messageId, onlyLeadIds: leads[1].leadId })]);
    expect(deleted.output('Delete')[0].json).toMatchObject({ success: true, results: [{ leadId: leads[1].leadId, ok: true }] });
    expect(second.deleted).toBe(true);
    expect(first.deleted).toBeFalsy();

    const noText = await engine.run([node('Edit', { operation: 'editMessage', messageId })]);
    expect(noText.error('Edit')?.message).toMatch(/New Text or Buttons/);
  });

  it('downloads a file a person sent into binary data, and sends that binary on as an upload', async () => {
    const bytes = Buffer.from('%PDF-1.4 the signed contract');
    const doc = telegram.userSendsFile(leads[0].chatId, 'document', bytes, { fileName: 'contract.pdf', mimeType: 'application/pdf' });
    const event = await eventually(async () => {
      const rows = await backend.ctx.db('events').where({ bot_id: botId, type: 'message.received' }).orderBy('id');
      return rows.map((r) => JSON.parse(r.payload)).find((p) => p.media?.fileId === doc.fileId);
    });

    const result = await engine.run(
      [
        node('Download', { operation: 'downloadFile', binaryPropertyName: 'contract' }),
        node('Send', { operation: 'send', recipientType: 'leadIds', recipients: leads[1].leadId, text: 'Your copy', options: { mediaKind: 'document', mediaSource: 'binary', mediaValue: 'contract' } }),
      ],
      { input: [{ leadId: leads[0].leadId, data: event }] },
    );
    const [downloaded] = result.output('Download');
    expect(downloaded.json).toMatchObject({ leadId: leads[0].leadId, file: { fileId: doc.fileId, size: bytes.length } });
    expect(downloaded.binary?.contract).toMatchObject({ fileName: expect.stringMatching(/\.pdf$/), mimeType: 'application/pdf' });
    expect(Buffer.from(String(downloaded.binary?.contract.data), 'base64')).toEqual(bytes);

    await waitUntilDone(backend, botId, token, String(result.output('Send')[0].json.messageId));
    const [copy] = telegram.messagesTo(leads[1].chatId).filter((m) => m.method === 'sendDocument');
    expect(copy.file).toMatchObject({ kind: 'document', via: 'upload' });
    expect(telegram.file(copy.file!.fileId)?.bytes).toEqual(bytes);

    const unknown = await engine.run([node('Download', { operation: 'downloadFile', fileId: 'no-such-file' })]);
    expect(unknown.error('Download')?.message).toMatch(/Unknown file/);
  });

  it('sends a Stars invoice, accepts the pre-checkout from the workflow, and refunds the payment once', async () => {
    const api = (method: string, path: string, body: unknown) => backend.request(method, `/api/v1/bots/${botId}${path}`, { token, body });
    expect((await api('PUT', '/telegram/payments', { preCheckout: 'workflow', workflowTimeoutMs: 8000, answer: { ok: false, errorMessage: 'No answer' } })).status).toBe(200);
    const workflow = await startWebhookReceiver();
    expect((await api('POST', '/subscriptions', { url: workflow.url, events: ['payment.pre_checkout'] })).status).toBe(201);
    const invoice = {
      operation: 'sendInvoice',
      recipientType: 'userIds',
      recipients: leads[0].userId,
      invoiceTitle: 'Consultation',
      invoiceDescription: '30 minutes with a coach',
      invoicePayload: 'consult:7',
      invoicePrices: { price: [{ label: 'Consultation', amount: 250 }] },
    };
    const sent = await engine.run([node('Invoice', invoice)]);
    await waitUntilDone(backend, botId, token, String(sent.output('Invoice')[0].json.messageId));
    expect(telegram.messagesTo(leads[0].chatId).at(-1)).toMatchObject({ method: 'sendInvoice', invoice: { currency: 'XTR', totalAmount: 250, payload: 'consult:7' } });

    const twoPrices = await engine.run([node('Invoice', { ...invoice, invoicePrices: { price: [{ label: 'A', amount: 1 }, { label: 'B', amount: 2 }] } })]);
    expect(twoPrices.error('Invoice')?.description).toMatch(/^Prices: .*XTR/);

    const paying = telegram.payInvoice(leads[0].chatId);
    const [delivered] = await workflow.waitFor(1);
    const accepted = await engine.run([node('Pre-Checkout', { operation: 'answerPreCheckout' })], { input: [{ eventId: delivered.body.id }] });
    expect(accepted.output('Pre-Checkout')[0].json).toMatchObject({ success: true });
    const paid = await paying;
    expect(paid.paid).toBe(true);
    const again = await engine.run([node('Pre-Checkout', { operation: 'answerPreCheckout', preCheckoutAnswer: 'refuse', preCheckoutError: 'Sold out' })], { input: [{ eventId: delivered.body.id }] });
    expect(again.error('Pre-Checkout')?.message).toMatch(/answered already/);
    await workflow.close();
    const refund = node('Refund', { operation: 'refundPayment' });
    const refunded = await engine.run([refund], { input: [{ leadId: leads[0].leadId, data: { telegramPaymentChargeId: paid.chargeId } }] });
    expect(refunded.output('Refund')[0].json).toMatchObject({ success: true });
    expect(telegram.charge(paid.chargeId!)?.refunded).toBe(true);
    const refundAgain = await engine.run([refund], { input: [{ leadId: leads[0].leadId, data: { telegramPaymentChargeId: paid.chargeId } }] });
    expect(refundAgain.error('Refund')?.message).toMatch(/CHARGE_ALREADY_REFUNDED/);
  });
});
