import { recordEvent } from '../../src/events/outbox';
import { runEventsOnce } from '../../src/events/worker';
import type { Runtime } from '../../src/runtime';
import { runWaitsOnce } from '../../src/waits/resumes';
import { handleInbound } from '../../src/inbound/inbound';
import { startServer } from '../../src/server';
import { createTelegramBot, startDeliveryBackend, TelegramStandin, waitUntilDone } from '../support/delivery';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../support/test-backend';
import { eventually } from '../support/eventually';
import { startWebhookReceiver, type WebhookReceiver } from '../support/webhook-receiver';


/** One pass of the events loop, then one of the waits loop: what the workers do every 500 ms. */
async function runPass(runtime: Runtime): Promise<void> {
  await runEventsOnce(runtime);
  await runWaitsOnce(runtime);
}

describe(`send and wait through Telegram (${dialect})`, () => {
  let standin: TelegramStandin;
  let backend: TestBackend;
  let receiver: WebhookReceiver;
  let bot: Awaited<ReturnType<typeof createTelegramBot>>;

  beforeAll(async () => {
    standin = await TelegramStandin.start({ limits: { enabled: false } });
    backend = await startDeliveryBackend(standin);
    bot = await createTelegramBot(backend, standin);
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await backend.close();
    await standin.close();
  });

  async function leadOf(chatId: number) {
    bot.telegram.userStarts(chatId);
    return eventually(() => backend.ctx.db('leads').where({ bot_id: bot.botId, chat_id: String(chatId) }).first());
  }

  async function sendAndWait(leadId: string, wait: { mode: 'buttons' | 'text'; timeoutSeconds: number }, path: string) {
    const sent = await backend.request('POST', `/api/v1/bots/${bot.botId}/messages`, {
      token: bot.token,
      body: { leadIds: [leadId], text: 'Confirm the order?', buttons: [[{ text: 'Yes', data: 'yes' }, { text: 'No', data: 'no' }]], wait: { resumeUrl: `${receiver.url}${path}`, ...wait } },
    });
    expect(sent.status).toBe(202);
    await waitUntilDone(backend, bot.botId, bot.token, sent.body.messageId);
    await eventually(() => backend.ctx.db('message_waits').where({ message_id: sent.body.messageId }).first());
    return sent.body as { messageId: string; trace_id: string };
  }

  const resumesTo = (path: string) => receiver.received.filter((r) => r.path === `/webhook${path}`);

  it('a button press resumes the execution once, a double tap does not resume it again', async () => {
    const lead = await leadOf(701);
    const message = await sendAndWait(lead.id, { mode: 'buttons', timeoutSeconds: 3600 }, '/resume/tap');
    bot.telegram.tapButton(701, 'yes');
    bot.telegram.tapButton(701, 'yes');

    await eventually(() => resumesTo('/resume/tap').length === 1);
    expect(resumesTo('/resume/tap')[0].body).toEqual({ status: 'answered', answer: { buttonData: 'yes' }, leadId: lead.id, userId: null, messageId: message.messageId, traceId: message.trace_id });
    const secondTap = await eventually(() => backend.ctx.db('events').where({ bot_id: bot.botId, lead_id: lead.id, type: 'button.pressed' }).first());
    expect(JSON.parse(secondTap.payload)).toMatchObject({ buttonData: 'yes' });
    expect(await backend.ctx.db('wait_resumes').where({ message_id: message.messageId })).toHaveLength(1);
    await eventually(async () => (await backend.ctx.db('wait_resumes').where({ message_id: message.messageId, status: 'delivered' }).first()) !== undefined);
    expect(resumesTo('/resume/tap')).toHaveLength(1);

    const trace = await backend.request('GET', `/api/v1/bots/${bot.botId}/traces/${message.trace_id}`, { token: bot.token });
    expect(trace.body.hops.map((h: { hop: string }) => h.hop)).toEqual(expect.arrayContaining(['message.queued', 'message.sent', 'wait.answered', 'wait.resumed']));
  });

  it('in text mode the next text resumes it; a text after that is an ordinary message', async () => {
    const lead = await leadOf(702);
    const message = await sendAndWait(lead.id, { mode: 'text', timeoutSeconds: 3600 }, '/resume/text');
    bot.telegram.userSends(702, 'Tomorrow at 10');
    await eventually(() => resumesTo('/resume/text').length === 1);
    expect(resumesTo('/resume/text')[0].body).toMatchObject({ status: 'answered', answer: { text: 'Tomorrow at 10' }, messageId: message.messageId });
    bot.telegram.userSends(702, 'one more thing');
    const ordinary = await eventually(() => backend.ctx.db('events').where({ bot_id: bot.botId, lead_id: lead.id, type: 'message.received' }).first());
    expect(JSON.parse(ordinary.payload)).toMatchObject({ text: 'one more thing' });
    expect(resumesTo('/resume/text')).toHaveLength(1);
  });
});

/** The loop is driven by hand and the clock moved, so timeouts and retries are deterministic. */
describe(`send and wait: timeout, retries, restart (${dialect})`, () => {
  const clock = new ManualClock();
  let backend: TestBackend;
  let receiver: WebhookReceiver;

  beforeAll(async () => {
    backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false' } });
    receiver = await startWebhookReceiver();
  });
  afterAll(async () => {
    await receiver.close();
    await backend.close();
  });

  /** A waiting message accepted by the messages API and sent (the delivery worker's message.sent event), then fanned out. */
  async function sentWaitingMessage(chatId: string, timeoutSeconds: number, path: string, fanOut = true) {
    const { botId, token } = await backend.createBot();
    await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId, kind: 'start', profile: {} });
    const lead = await backend.ctx.db('leads').where({ bot_id: botId, chat_id: chatId }).first();
    const sent = await backend.request('POST', `/api/v1/bots/${botId}/messages`, {
      token,
      body: { leadIds: [lead.id], text: 'Pick', buttons: [[{ text: 'A', data: 'a' }]], wait: { resumeUrl: `${receiver.url}${path}`, mode: 'buttons', timeoutSeconds } },
    });
    await recordEvent(backend.ctx.db, backend.ctx, { botId, type: 'message.sent', traceId: sent.body.trace_id, leadId: lead.id, payload: { messageId: sent.body.messageId, channel: 'telegram', chatId, externalId: '77' } });
    if (fanOut) await runPass(backend.ctx);
    return { botId, leadId: lead.id as string, messageId: sent.body.messageId as string };
  }
  const resumesTo = (path: string) => receiver.received.filter((r) => r.path === `/webhook${path}`);

  it('resumes with status timeout when nobody answers in time; a later press is an ordinary event', async () => {
    const { botId, leadId, messageId } = await sentWaitingMessage('801', 600, '/resume/timeout');
    clock.advance(599_000);
    await runPass(backend.ctx);
    expect(resumesTo('/resume/timeout')).toHaveLength(0);
    clock.advance(1_000);
    await runPass(backend.ctx);
    await eventually(() => resumesTo('/resume/timeout').length === 1);
    expect(resumesTo('/resume/timeout').map((r) => r.body)).toEqual([{ status: 'timeout', answer: null, leadId, userId: null, messageId, traceId: expect.any(String) }]);

    await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId: '801', kind: 'button', data: 'a', messageRef: '77', profile: {} });
    expect(await backend.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' })).toHaveLength(1);
    await runPass(backend.ctx);
    expect(resumesTo('/resume/timeout')).toHaveLength(1);
  });

  it('an answer that comes before the fan-out saw the message.sent event still resumes the execution', async () => {
    const { botId, leadId, messageId } = await sentWaitingMessage('804', 600, '/resume/quick', false);
    await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId: '804', kind: 'button', data: 'a', messageRef: '77', profile: {} });
    expect(await backend.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' })).toHaveLength(0);
    await runPass(backend.ctx);
    await eventually(() => resumesTo('/resume/quick').length === 1);
    expect(resumesTo('/resume/quick')[0].body).toMatchObject({ status: 'answered', answer: { buttonData: 'a' }, leadId, messageId });
    expect(await backend.ctx.db('message_waits').where({ message_id: messageId })).toHaveLength(0);
  });

  it('a press on another message does not answer the wait', async () => {
    const { botId } = await sentWaitingMessage('802', 600, '/resume/other');
    await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId: '802', kind: 'button', data: 'a', messageRef: '12345', profile: {} });
    expect(await backend.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' })).toHaveLength(1);
    await runPass(backend.ctx);
    expect(resumesTo('/resume/other')).toHaveLength(0);
  });

  it("retries once, 5 s later, a resume n8n answers 409 (the execution not parked yet); a second 409 is final", async () => {
    const { botId, messageId } = await sentWaitingMessage('805', 600, '/resume/conflict');
    receiver.status = 409;
    try {
      await handleInbound(backend.ctx, { botId, channel: 'telegram', chatId: '805', kind: 'button', data: 'a', messageRef: '77', profile: {} });
      await runPass(backend.ctx);
      await eventually(() => resumesTo('/resume/conflict').length === 1);
      expect(await backend.ctx.db('wait_resumes').where({ message_id: messageId }).first()).toMatchObject({ status: 'pending', attempts: 1, last_status_code: 409 });
      clock.advance(5_000);
      await runPass(backend.ctx);
      await eventually(() => resumesTo('/resume/conflict').length === 2);
      expect(await backend.ctx.db('wait_resumes').where({ message_id: messageId }).first()).toMatchObject({ status: 'exhausted', attempts: 2, last_status_code: 409 });
      clock.advance(5 * 60_000);
      await runPass(backend.ctx);
      expect(resumesTo('/resume/conflict')).toHaveLength(2);
    } finally {
      receiver.status = 200;
    }
  });

  it('survives a restart and retries the resume call on the webhook schedule until n8n answers', async () => {
    const { botId, leadId, messageId } = await sentWaitingMessage('803', 3600, '/resume/restart');
    // A new process on the same database (nothing kept in memory) takes the answer.
    const restarted = await startServer({ config: { ...backend.ctx.config, PORT: 0 }, clock });
    try {
      receiver.status = 503;
      const answers = await Promise.all([1, 2].map(() => handleInbound(restarted.ctx, { botId, channel: 'telegram', chatId: '803', kind: 'button', data: 'a', messageRef: '77', profile: {} })));
      expect(answers.every((a) => !a.duplicate)).toBe(true);
      expect(await restarted.ctx.db('wait_resumes').where({ message_id: messageId })).toHaveLength(1);
      expect(await restarted.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' })).toHaveLength(1);

      await runPass(restarted.ctx);
      await eventually(() => resumesTo('/resume/restart').length === 1);
      receiver.status = 200;
      clock.advance(4_999);
      await runPass(restarted.ctx);
      expect(resumesTo('/resume/restart')).toHaveLength(1);
      clock.advance(1);
      await runPass(restarted.ctx);
      await eventually(() => resumesTo('/resume/restart').length === 2);
      expect(resumesTo('/resume/restart')[1].body).toMatchObject({ status: 'answered', answer: { buttonData: 'a' }, leadId, messageId });
      expect(await restarted.ctx.db('wait_resumes').where({ message_id: messageId }).first()).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      receiver.status = 200;
      await restarted.close();
    }
  });
});
