import { waitUntilDone, type SeededLead, type StandinBot } from '../../backend/test/support/delivery';
import type { TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';
import { startTelegramStand, type TelegramStand } from './support/telegram-stand';

describeWithN8n('Call Communication messages in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;
  let token: string;
  let telegram: StandinBot;
  let leads: SeededLead[];

  let stand: TelegramStand;
  beforeAll(async () => {
    stand = await startTelegramStand({ chatIds: [9001, 9002] });
    ({ backend, engine, botId, token, telegram, leads } = stand);
  }, 120_000);
  afterAll(() => stand?.close());

  const messageNode = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'Message',
    type: 'callCommunication',
    parameters: { resource: 'message', recipientType: 'userIds', ...parameters },
    ...extra,
  });

  it('sends a template with buttons to the users of an expression, and reports the delivery status', async () => {
    const result = await engine.run(
      [
        messageNode({
          operation: 'send',
          recipients: '={{ $json.users }}',
          text: 'Hi {{ lead.firstName }}, order {{ params.order }} is {{ lead.attributes.tier }}',
          buttons: { button: [{ text: 'Rate', type: 'data', value: 'rate:5', sameRow: false }, { text: 'Site', type: 'url', value: 'https://example.com', sameRow: true }] },
          options: { params: '={{ JSON.stringify({ order: $json.order }) }}', idempotencyKey: '={{ "order-" + $json.order }}' },
        }),
      ],
      { input: [{ users: leads.map((l) => l.userId), order: 'A-1' }] },
    );
    const [sent] = result.output('Message');
    expect(sent.json).toMatchObject({ success: true, messageId: expect.any(String), queued: 2 });
    expect(sent.pairedItem).toEqual({ item: 0 });
    await waitUntilDone(backend, botId, token, String(sent.json.messageId));

    const [received] = telegram.messagesTo(leads[0].chatId);
    expect(received.text).toBe('Hi Name9001, order A-1 is gold');
    expect(received.replyMarkup).toEqual({ inline_keyboard: [[{ text: 'Rate', callback_data: 'rate:5' }, { text: 'Site', url: 'https://example.com' }]] });

    const status = await engine.run([{ name: 'Status', type: 'callCommunication', parameters: { resource: 'message', operation: 'getStatus', messageId: String(sent.json.messageId) } }]);
    expect(status.output('Status')[0].json).toMatchObject({ id: sent.json.messageId, status: 'done', counts: expect.objectContaining({ sent: 2 }) });
  });

  it('schedules a send (Delay, Local Time, Cancel Key) and cancels it by Cancel Key or Message ID before it leaves', async () => {
    const scheduled = await engine.run([
      messageNode({ operation: 'send', recipients: leads[0].userId, text: 'later', options: { delaySeconds: 3600, cancelKey: 'reminder:order:1' } }),
    ]);
    expect(scheduled.output('Message')[0].json).toMatchObject({ success: true, queued: 0, scheduled: 1, cancelKey: 'reminder:order:1' });
    const messageId = String(scheduled.output('Message')[0].json.messageId);
    // The bot's zone is UTC and the person has none: the next 10:00 UTC, tomorrow's if today's has passed.
    const local = await engine.run([messageNode({ operation: 'send', recipients: leads[1].userId, text: 'at ten', options: { localTime: '10:00', delaySeconds: 60 } })]);
    expect(local.output('Message')[0].json).toMatchObject({ scheduled: 1, sendAt: expect.stringMatching(/T10:00:00\.000Z$/) });
    await engine.run([{ name: 'Cancel', type: 'callCommunication', parameters: { resource: 'message', operation: 'cancel', cancelBy: 'messageId', messageId: String(local.output('Message')[0].json.messageId) } }]);

    const byKey = await engine.run([{ name: 'Cancel', type: 'callCommunication', parameters: { resource: 'message', operation: 'cancel', cancelBy: 'cancelKey', cancelKey: 'reminder:order:1' } }]);
    expect(byKey.output('Cancel')[0].json).toMatchObject({ success: true, messageId, cancelled: 1, inFlight: [], finished: 0 });
    const byId = await engine.run([{ name: 'Cancel', type: 'callCommunication', parameters: { resource: 'message', operation: 'cancel', cancelBy: 'messageId', messageId } }]);
    expect(byId.output('Cancel')[0].json).toMatchObject({ cancelled: 0, finished: 1 });
    expect(telegram.messagesTo(leads[0].chatId).filter((m) => m.text === 'later')).toEqual([]);
  });

  it('offers quick replies (one per line) as Telegram\'s reply keyboard', async () => {
    const result = await engine.run([messageNode({ operation: 'send', recipients: leads[1].userId, text: 'Rate us', options: { quickReplies: 'Great\n\n Fine \n' } })]);
    await waitUntilDone(backend, botId, token, String(result.output('Message')[0].json.messageId));
    const received = telegram.messagesTo(leads[1].chatId).find((m) => m.text === 'Rate us');
    expect(received?.replyMarkup).toMatchObject({ keyboard: [[{ text: 'Great' }], [{ text: 'Fine' }]] });
  });

  it('asks for the phone number with the contact button', async () => {
    const result = await engine.run([messageNode({ operation: 'send', recipients: leads[1].userId, text: 'Please share your phone', options: { requestContact: 'Share my phone' } })]);
    await waitUntilDone(backend, botId, token, String(result.output('Message')[0].json.messageId));
    expect(telegram.messagesTo(leads[1].chatId).at(-1)!.replyMarkup).toEqual({ keyboard: [[{ text: 'Share my phone', request_contact: true }]], resize_keyboard: true, one_time_keyboard: true });
  });

  it('fails with the backend message when nobody can be reached, or continues with an error item', async () => {
    const failing = await engine.run([messageNode({ operation: 'send', recipients: 'nobody-1, nobody-2', text: 'x' })]);
    expect(failing.error('Message')).toMatchObject({ name: 'NodeApiError', message: 'User not found' });
    const continued = await engine.run([messageNode({ operation: 'send', recipients: '={{ $json.to }}', text: 'x' }, { onError: 'continueRegularOutput' })], {
      input: [{ to: 'nobody' }, { to: leads[1].userId }],
    });
    const output = continued.output('Message');
    expect(output[0].json).toMatchObject({ error: 'User not found' });
    expect(output[1].json).toMatchObject({ success: true, queued: 1 });
  });

  it('send and wait puts the execution to wait with a signed resume URL, and the resume call becomes the output', async () => {
    const result = await engine.run(
      [messageNode({ operation: 'sendAndWait', recipients: leads[0].userId, text: 'Confirm?', responseType: 'buttons', buttons: { button: [{ text: 'Yes', type: 'data', value: 'yes' }] }, timeoutMinutes: 30 })],
      { resumeToken: 'resume-token-1' },
    );
    expect(result.run.status).toBe('waiting');
    const waitTill = new Date(result.run.waitTill!).getTime();
    expect(waitTill).toBeGreaterThan(Date.now() + 30 * 60_000);
    expect(waitTill).toBeLessThan(Date.now() + 32 * 60_000);

    const stored = await backend.ctx.db('messages').where({ bot_id: botId }).orderBy('created_at', 'desc').first();
    expect(JSON.parse(stored.wait)).toEqual({ resumeUrl: 'http://n8n.test/webhook-waiting/exec-1?signature=resume-token-1', mode: 'buttons', timeoutSeconds: 1800 });

    const workflow = engine.workflow([messageNode({ operation: 'sendAndWait' })]);
    const resume = { status: 'answered', answer: { buttonData: 'yes' }, leadId: leads[0].leadId, userId: leads[0].userId, messageId: stored.id, traceId: 'tr-9' };
    const response = { status: () => response, json: () => response, headersSent: false } as any;
    const resumed = await engine.webhook(workflow, 'Message', { body: resume, headers: {}, rawBody: Buffer.from(JSON.stringify(resume)) } as any, response);
    expect(resumed.workflowData[0][0].json).toEqual({
      status: 'answered',
      text: null,
      buttonData: 'yes',
      answer: { buttonData: 'yes' },
      leadId: leads[0].leadId,
      userId: leads[0].userId,
      messageId: stored.id,
      trace_id: 'tr-9',
    });
  });
});
