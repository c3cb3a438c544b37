import type { Clock } from '../../../src/platform/clock';
import { dialect } from '../../support/test-backend';
import { waitUntilDone } from '../../support/delivery';
import { setWhatsappAccount } from '../../../src/channels/whatsapp/whatsapp-store';
import { eventually } from '../../support/eventually';
import { startWebhookReceiver } from '../../support/webhook-receiver';
import { createWhatsappBot, type StandinNumber, useWhatsappBackend } from '../../support/whatsapp';

const DAY = 24 * 3_600_000;

/** Real time, moved on by `advance`: backoff still runs out while a test jumps past the window. */
class JumpingClock implements Clock {
  private offsetMs = 0;
  now(): number {
    return Date.now() + this.offsetMs;
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
}

describe(`WhatsApp delivery (${dialect})`, () => {
  const clock = new JumpingClock();
  const setup = useWhatsappBackend({}, { DELIVERY_BACKOFF_BASE_MS: '20', DELIVERY_BACKOFF_CAP_MS: '100', DELIVERY_CHAT_SPACING_MS: '0' }, clock);
  const templates = [{ name: 'follow_up', language: 'en_US', bodyParameters: 1 }];
  const fallback = { name: 'follow_up', language: 'en_US', textParameter: true };

  /** A person who wrote to a new bot, and a send to them; answers the finished status. */
  async function sendTo(waId: string, body: Record<string, unknown>, options: Parameters<typeof createWhatsappBot>[2] = {}, beforeSend?: (ctx: { number: StandinNumber; botId: number }) => unknown) {
    const { botId, token, number } = await createWhatsappBot(setup.backend, setup.standin, options);
    await number.user(waId).writes('hi');
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: waId }).first();
    await beforeSend?.({ number, botId });
    const accepted = await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.id], ...body } });
    expect(accepted.status).toBe(202);
    const status = await waitUntilDone(setup.backend, botId, token, accepted.body.messageId);
    return { botId, token, number, lead, status, messageId: accepted.body.messageId as string };
  }

  it('sends text, reply buttons (titles fitted to 20) and lists inside the window', async () => {
    const text = await sendTo('79180000001', { text: 'Hello <b>{{ lead.firstName }}</b>', parseMode: 'HTML' });
    expect(text.status.recipients[0]).toMatchObject({ status: 'sent' });
    expect(text.number.sent[0].payload).toMatchObject({ type: 'text', text: { body: 'Hello User 79180000001' } });

    const buttons = await sendTo('79180000002', { text: 'Pick', buttons: [[{ text: 'Yes', data: 'y' }, { text: 'A very long answer title here', data: 'long' }], [{ text: 'Site', url: 'https://example.com' }]] });
    const interactive = buttons.number.sent[0].payload.interactive;
    expect(interactive.type).toBe('button');
    expect(interactive.action.buttons.map((b: any) => b.reply)).toEqual([{ id: 'y', title: 'Yes' }, { id: 'long', title: 'A very long answer …' }]);
    expect(interactive.body.text).toBe('Pick\nSite: https://example.com');

    const list = await sendTo('79180000003', { text: 'Which plan?', buttons: [[1, 2, 3, 4, 5].map((n) => ({ text: `Plan ${n}`, data: `p${n}` }))] });
    expect(list.number.sent[0].payload.interactive).toMatchObject({ type: 'list', action: { button: 'Choose', sections: [{ rows: expect.arrayContaining([{ id: 'p5', title: 'Plan 5' }]) }] } });

    const image = await sendTo('79180000004', { text: 'Look', imageUrl: 'https://example.com/a.png' });
    expect(image.number.sent[0].payload).toMatchObject({ type: 'image', image: { link: 'https://example.com/a.png', caption: 'Look' } });
  });

  it('a tap on a sent button comes back as button.pressed naming that message', async () => {
    const sent = await sendTo('79180000005', { text: 'Pick', buttons: [[{ text: 'Yes', data: 'y' }]] });
    const wamid = sent.number.sent[0].id;
    expect((await sent.number.user('79180000005').taps(wamid, 'y')).status).toBe(200);
    const pressed = await setup.backend.ctx.db('events').where({ bot_id: sent.botId, type: 'button.pressed' }).first();
    expect(JSON.parse(pressed.payload)).toMatchObject({ buttonData: 'y', messageRef: wamid });
  });

  it('outside the 24-hour window: fails with the reason without a template, sends the template with one', async () => {
    const closed = await sendTo('79180000006', { text: 'Late news' }, {}, () => clock.advance(DAY + 1000));
    expect(closed.status.recipients[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('outside the 24-hour window and no template configured') });
    expect(closed.number.requests).toEqual([]);

    const templated = await sendTo('79180000007', { text: 'Your order\nshipped' }, { templates, fallback }, () => clock.advance(DAY + 1000));
    expect(templated.status.recipients[0]).toMatchObject({ status: 'sent' });
    expect(templated.number.sent[0].payload).toMatchObject({ type: 'template', template: { name: 'follow_up', language: { code: 'en_US' }, components: [{ type: 'body', parameters: [{ type: 'text', text: 'Your order shipped' }] }] } });
  });

  it('when WhatsApp says the window closed (131047) although our clock says open, falls back to the template', async () => {
    try {
      const sent = await sendTo('79180000008', { text: 'Hi again' }, { templates, fallback }, () => setup.standin.advance(DAY + 1000));
      expect(sent.status.recipients[0]).toMatchObject({ status: 'sent' });
      expect(sent.number.requests.map((r) => r.code)).toEqual([131047, 'ok']);
      expect(sent.number.sent[0].type).toBe('template');
    } finally {
      setup.standin.advance(-(DAY + 1000));
    }
  });

  it('status webhooks record delivered and read on the recipient; a failed status fails it with the reason', async () => {
    const sent = await sendTo('79180000009', { text: 'Receipt me' });
    await sent.number.settled();
    await sent.number.user('79180000009').reads(sent.number.sent[0].id);
    const recipient = (await setup.backend.request('GET', `/api/v1/bots/${sent.botId}/messages/${sent.messageId}`, { token: sent.token })).body.message.recipients[0];
    expect(recipient).toMatchObject({ status: 'sent', deliveredAt: expect.any(Number), readAt: expect.any(Number) });

    const lost = await sendTo('79180000010', { text: 'Lost' }, {}, ({ number }) => number.failAfterAccept.add('79180000010'));
    await lost.number.settled();
    const failed = (await setup.backend.request('GET', `/api/v1/bots/${lost.botId}/messages/${lost.messageId}`, { token: lost.token })).body.message;
    expect(failed.counts).toMatchObject({ sent: 0, failed: 1 });
    expect(failed.recipients[0]).toMatchObject({ status: 'failed', error: '131026 Message Undeliverable.' });
    const event = await setup.backend.ctx.db('events').where({ bot_id: lost.botId, type: 'message.failed' }).first();
    expect(JSON.parse(event.payload)).toMatchObject({ channel: 'whatsapp', error: '131026 Message Undeliverable.', reportedBy: 'status' });
  });

  it('maps errors: throughput and 5xx are retried, 131026 makes the lead unreachable, a bad token fails', async () => {
    const retried = await sendTo('79180000011', { text: 'Busy' }, {}, ({ number }) => {
      number.failNext(1, { httpStatus: 400, code: 130429 });
      number.failNext(1, { httpStatus: 500, code: 131000 });
    });
    expect(retried.status.recipients[0]).toMatchObject({ status: 'sent' });
    expect(retried.number.requests.map((r) => r.code)).toEqual([130429, 131000, 'ok']);

    const gone = await sendTo('79180000012', { text: 'Anyone?' }, {}, ({ number }) => number.notOnWhatsapp.add('79180000012'));
    expect(gone.status.recipients[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('131026') });
    expect((await setup.backend.ctx.db('leads').where({ id: gone.lead.id }).first()).reachable).toBeFalsy();

    const revoked = await sendTo('79180000013', { text: 'Token?' }, {}, ({ number, botId }) =>
      setWhatsappAccount(setup.backend.ctx, botId, { ...number.credentials, accessToken: 'EAAwrongwrongwrongwrongwrong' }, null),
    );
    expect(revoked.status.recipients[0]).toMatchObject({ status: 'failed', error: expect.stringContaining('190'), attempts: 1 });
  });

  it('pair rate limit (131056) backs the row off and it still arrives', async () => {
    setup.standin.setLimits({ pairBurst: 1, pairIntervalMs: 300 });
    try {
      const { botId, token, number } = await createWhatsappBot(setup.backend, setup.standin);
      await number.user('79180000014').writes('hi');
      const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: '79180000014' }).first();
      const ids = [];
      for (const text of ['one', 'two', 'three']) ids.push((await setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body: { leadIds: [lead.id], text } })).body.messageId);
      for (const id of ids) expect((await waitUntilDone(setup.backend, botId, token, id)).counts).toMatchObject({ sent: 1 });
      expect(number.requests.some((r) => r.code === 131056)).toBe(true);
      expect(number.sent.map((m) => m.payload.text.body).sort()).toEqual(['one', 'three', 'two']);
    } finally {
      setup.standin.setLimits({ pairBurst: 45, pairIntervalMs: 6_000 });
    }
  });

  it('send and wait: a tap on the WhatsApp buttons of that message resumes the execution once', async () => {
    const receiver = await startWebhookReceiver();
    try {
      const wait = { resumeUrl: `${receiver.url}/resume/wa`, mode: 'buttons', timeoutSeconds: 3600 };
      const sent = await sendTo('79180000015', { text: 'Confirm?', buttons: [[{ text: 'Yes', data: 'yes' }, { text: 'No', data: 'no' }]], wait });
      await eventually(() => setup.backend.ctx.db('message_waits').where({ message_id: sent.messageId }).first());
      const person = sent.number.user('79180000015');
      await person.taps(sent.number.sent[0].id, 'yes');
      await person.taps(sent.number.sent[0].id, 'yes');
      const [resume] = await receiver.waitFor(1);
      expect(resume.body).toMatchObject({ status: 'answered', answer: { buttonData: 'yes' }, leadId: sent.lead.id, messageId: sent.messageId });
      const pressed = await eventually(() => setup.backend.ctx.db('events').where({ bot_id: sent.botId, type: 'button.pressed' }).first());
      expect(JSON.parse(pressed.payload)).toMatchObject({ channel: 'whatsapp', buttonData: 'yes' });
      expect(await setup.backend.ctx.db('wait_resumes').where({ message_id: sent.messageId })).toHaveLength(1);
    } finally {
      await receiver.close();
    }
  });
});
