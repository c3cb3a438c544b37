import { createWhatsappBot, useWhatsappBackend } from '../../support/whatsapp';
import { dialect } from '../../support/test-backend';
import { envelope, signature } from '../../../../test/whatsapp-standin';
import { snapshotDatabase, snapshotDifferences } from '../../../../test/drills/support/db-snapshot';

describe(`WhatsApp webhook (${dialect})`, () => {
  const setup = useWhatsappBackend();
  const events = (botId: number, type?: string) => setup.backend.ctx.db('events').where({ bot_id: botId, ...(type ? { type } : {}) }).orderBy('id');
  const payloadOf = (row: { payload: string | object }) => (typeof row.payload === 'string' ? JSON.parse(row.payload) : row.payload);

  it('answers the subscription check with the challenge only for the right verify token', async () => {
    const { number } = await createWhatsappBot(setup.backend, setup.standin);
    const right = await number.verify();
    expect(right).toMatchObject({ status: 200, body: right.challenge });
    expect((await number.verify('not-the-token')).status).toBe(403);
    const noMode = await fetch(`${number.webhookUrl}?hub.verify_token=${number.verifyToken}&hub.challenge=x`);
    expect(noMode.status).toBe(403);
    expect((await fetch(`${setup.backend.url}/whatsapp/999999/webhook?hub.mode=subscribe`)).status).toBe(404);
  });

  it('refuses a forged update (no, wrong or another app\'s signature) with 401 and changes nothing', async () => {
    const { number } = await createWhatsappBot(setup.backend, setup.standin);
    const other = setup.standin.createNumber();
    const before = await snapshotDatabase(setup.backend.ctx.db);
    const message = { messages: [{ from: '79181234567', id: 'wamid.forged', timestamp: '1', type: 'text', text: { body: 'hi' } }] };
    expect((await number.post(message, false)).status).toBe(401);
    expect((await number.post(message, 'sha256=' + '0'.repeat(64))).status).toBe(401);
    expect((await number.post(message, 'sha256=abc')).status).toBe(401);
    other.webhookUrl = number.webhookUrl;
    const foreign = await other.post(message);
    expect(foreign.status).toBe(401);
    expect(snapshotDifferences(before, await snapshotDatabase(setup.backend.ctx.db))).toEqual([]);
  });

  it('turns a text into message.received, stores the phone once as contact.shared, and drops a redelivery', async () => {
    const { botId, token, number } = await createWhatsappBot(setup.backend, setup.standin);
    const anna = number.user('79181234567', 'Anna');
    const first = anna.writes('Hello');
    expect((await first).status).toBe(200);
    expect((await anna.writes('Again')).status).toBe(200);
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, channel: 'whatsapp', chat_id: '79181234567' }).first();
    expect(lead).toMatchObject({ phone: '+79181234567', first_name: 'Anna' });
    const types = (await events(botId)).map((e) => e.type);
    expect(types).toEqual(['contact.shared', 'message.received', 'message.received']);
    expect(payloadOf((await events(botId, 'contact.shared'))[0])).toMatchObject({ channel: 'whatsapp', contact: { phone: '+79181234567', valid: true, isOwn: true, verified: true, source: 'channel' } });
    expect(payloadOf((await events(botId, 'message.received'))[0])).toMatchObject({ channel: 'whatsapp', text: 'Hello' });

    // Meta delivers the same message again (our 200 was lost): nothing new is recorded.
    const again = await number.post({ messages: [{ from: '79181234567', id: first.messageId, timestamp: '1', type: 'text', text: { body: 'Hello' } }] });
    expect(again.status).toBe(200);
    expect(await events(botId)).toHaveLength(3);

    // A lookup by phone, as the CRM writes it, finds the WhatsApp lead: linking needs no contact button.
    const found = await setup.backend.request('GET', `/api/v1/bots/${botId}/leads?phone=${encodeURIComponent('8 918 123-45-67')}`, { token });
    expect(found.body.leads).toEqual([expect.objectContaining({ id: lead.id, channel: 'whatsapp', phone: '+79181234567' })]);
  });

  it('reads button and list replies (with the message they answer), contacts and /start links', async () => {
    const { botId, number } = await createWhatsappBot(setup.backend, setup.standin);
    const boris = number.user('4915112345678', 'Boris');
    await boris.writes('/start');
    const tap = { from: '4915112345678', timestamp: '1', type: 'interactive', context: { id: 'wamid.ours' } };
    await number.post({ messages: [{ ...tap, id: 'wamid.b1', interactive: { type: 'button_reply', button_reply: { id: 'yes', title: 'Yes' } } }] });
    await number.post({ messages: [{ ...tap, id: 'wamid.b2', interactive: { type: 'list_reply', list_reply: { id: 'plan:gold', title: 'Gold' } } }] });
    await number.post({ messages: [{ ...tap, id: 'wamid.b3', interactive: { type: 'button_reply', button_reply: { id: 'mb-quick:Maybe later', title: 'Maybe later' } } }] });
    await boris.sharesContact('+7 918 765-43-21', false);
    const all = (await events(botId)).map((e) => [e.type, payloadOf(e)]);
    expect(all.map(([type]) => type)).toEqual(['contact.shared', 'bot.started', 'button.pressed', 'button.pressed', 'message.received']);
    expect(all[2][1]).toMatchObject({ buttonData: 'yes', messageRef: 'wamid.ours' });
    expect(all[3][1]).toMatchObject({ buttonData: 'plan:gold' });
    expect(all[4][1]).toMatchObject({ text: 'Maybe later' });
    // Someone else's card is not the person's number: the identity flow asks for their own.
    const lead = await setup.backend.ctx.db('leads').where({ bot_id: botId, chat_id: '4915112345678' }).first();
    expect(lead.phone).toBe('+4915112345678');
    expect(number.sent.at(-1)?.payload.text.body).toMatch(/own/i);
  });

  it('answers 400 for a signed body that is not a WhatsApp webhook, and ignores other numbers\' changes', async () => {
    const { botId, number } = await createWhatsappBot(setup.backend, setup.standin);
    const raw = JSON.stringify({ hello: 'world' });
    const signed = (body: string) => fetch(number.webhookUrl!, { method: 'POST', headers: { 'content-type': 'application/json', 'x-hub-signature-256': signature(number.appSecret, body) }, body });
    expect((await signed(raw)).status).toBe(400);
    const forAnotherNumber = JSON.stringify(envelope('555000555000', { messages: [{ from: '79181234567', id: 'wamid.x', timestamp: '1', type: 'text', text: { body: 'hi' } }] }));
    expect((await signed(forAnotherNumber)).status).toBe(200);
    expect(await events(botId)).toHaveLength(0);
  });
});
