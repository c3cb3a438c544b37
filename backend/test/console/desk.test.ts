import { MAX_CANNED_ANSWERS } from '../../src/conversations/canned-answers';
import { newLeadId } from '../../src/identity/leads';
import { addConsoleUser, consoleLogin, type ConsoleClient } from '../support/console';
import { createTelegramBot, seedLinkedLeads, type StandinBot, useStandinBackend } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect, type TestBackend } from '../support/test-backend';

/**
 * The desk's session routes over the real pipeline: a person writes the handover keyword in the
 * Telegram stand-in, operators logged in to the console take, answer (the stand-in receives it),
 * note (it receives nothing), transfer, return and close; saved answers are kept per bot; the
 * stream tells a page when something changed.
 */
describe(`console desk routes (${dialect})`, () => {
  const setup = useStandinBackend();
  let backend: TestBackend;
  let bot: { botId: number; token: string; telegram: StandinBot };
  let ann: ConsoleClient;
  let bob: ConsoleClient;
  let admin: ConsoleClient;
  let chat = 9100;

  const desk = (client: ConsoleClient, method: string, suffix: string, body?: unknown) => client.request(method, `/bots/${bot.botId}/desk${suffix}`, body);
  const texts = (chatId: number) => bot.telegram.messagesTo(chatId).map((m) => m.text);

  /** A linked person (Telegram, plus a web chat linked to the same user) who asks for an operator; answers the Telegram lead. */
  async function personWaiting(): Promise<{ chatId: number; leadId: string; userId: string }> {
    const chatId = ++chat;
    const [seeded] = await seedLinkedLeads(backend.ctx.db, bot.botId, [chatId]);
    const now = Date.now();
    const webLead = newLeadId();
    await backend.ctx.db('leads').insert({ id: webLead, bot_id: bot.botId, channel: 'webchat', chat_id: `visitor-${chatId}`, attributes: '{}', reachable: true, last_activity_at: now - 60_000, created_at: now - 60_000 });
    await backend.ctx.db('links').insert({ lead_id: webLead, bot_id: bot.botId, user_id: seeded.userId, source: 'api', status: 'connected', connected_at: now });
    bot.telegram.userSends(chatId, 'operator');
    await eventually(async () => (await desk(ann, 'GET', '/conversations?queue=waiting')).body.conversations?.some((c: { leadId: string }) => c.leadId === seeded.leadId), 20_000);
    await eventually(() => texts(chatId).length === 1, 20_000);
    return { chatId, leadId: seeded.leadId, userId: seeded.userId };
  }

  beforeAll(async () => {
    backend = setup.backend;
    bot = await createTelegramBot(backend, setup.standin);
    backend.ctx.wakeups.wake('telegram');
    await addConsoleUser(backend, 'ann@example.com', 'operator');
    await addConsoleUser(backend, 'bob@example.com', 'operator');
    await addConsoleUser(backend, 'admin@example.com', 'admin');
    await addConsoleUser(backend, 'ana@example.com', 'analyst');
    [ann, bob, admin] = [await consoleLogin(backend, 'ann@example.com'), await consoleLogin(backend, 'bob@example.com'), await consoleLogin(backend, 'admin@example.com')];
  }, 60_000);

  it('takes a waiting person, answers with quick replies, notes without sending, and shows the whole history across their chats', async () => {
    const { chatId, leadId } = await personWaiting();
    const path = `/conversations/${leadId}`;
    const waiting = await desk(ann, 'GET', path);
    expect(waiting.status).toBe(200);
    expect(waiting.body.conversation).toMatchObject({ state: 'waiting', handover: { reason: 'the person asked for an operator' } });
    expect(waiting.body.chats.map((c: { channel: string }) => c.channel).sort()).toEqual(['telegram', 'webchat']);
    expect(waiting.body.history).toEqual([expect.objectContaining({ type: 'message', direction: 'in', body: expect.objectContaining({ text: 'operator' }) })]);

    const taken = await desk(ann, 'POST', `${path}/take`);
    expect(taken.body.conversation).toMatchObject({ state: 'assigned', operator: { id: 'ann@example.com' } });
    expect((await desk(ann, 'GET', '/conversations?queue=mine')).body.conversations.map((c: { leadId: string }) => c.leadId)).toContain(leadId);
    expect((await desk(bob, 'GET', '/conversations?queue=mine')).body.conversations.map((c: { leadId: string }) => c.leadId)).not.toContain(leadId);

    const reply = await desk(ann, 'POST', `${path}/reply`, { text: 'Hello, this is Ann', quickReplies: ['Yes', 'No'] });
    expect(reply.status).toBe(200);
    const sent = await eventually(() => bot.telegram.messagesTo(chatId).find((m) => m.text === 'Hello, this is Ann'), 20_000);
    expect(JSON.stringify(sent.replyMarkup)).toContain('Yes');

    const note = await desk(ann, 'POST', `${path}/notes`, { text: 'Wants a refund; check order 42' });
    expect(note.status).toBe(201);
    expect(note.body.note).toMatchObject({ author: 'ann@example.com', text: 'Wants a refund; check order 42' });
    bot.telegram.userSends(chatId, 'Yes');
    await eventually(async () => (await desk(ann, 'GET', path)).body.history.length === 4, 20_000);
    // Given time to reach the stand-in, the note never does: only the handover reply and Ann's answer.
    expect(texts(chatId)).toEqual([expect.any(String), 'Hello, this is Ann']);

    const history = (await desk(ann, 'GET', path)).body.history as Array<{ type: string; direction?: string; text?: string; body?: { text: string } }>;
    expect(history.map((h) => (h.type === 'note' ? `note:${h.text}` : `${h.direction}:${h.body!.text}`))).toEqual(['in:operator', 'out:Hello, this is Ann', 'note:Wants a refund; check order 42', 'in:Yes']);
    // Notes reach no workflow either: no event was recorded for one.
    expect(await backend.ctx.db('events').where({ bot_id: bot.botId }).andWhere('payload', 'like', '%order 42%').first()).toBeUndefined();

    expect((await desk(ann, 'POST', `${path}/notes`, { text: '   ' })).status).toBe(422);
    expect((await desk(ann, 'POST', `${path}/reply`, { text: 'x', quickReplies: Array(13).fill('a') })).status).toBe(422);
  });

  it('lists the queues: waiting, mine, all, and by the team a workflow handed over to', async () => {
    const { leadId } = await personWaiting();
    const billing = await backend.request('POST', `/api/v1/bots/${bot.botId}/leads/${leadId}/conversation/handover`, { token: bot.token, body: { team: 'billing', priority: 'high' } });
    expect(billing.status).toBe(409);
    await backend.request('POST', `/api/v1/bots/${bot.botId}/leads/${leadId}/conversation/return`, { token: bot.token });
    expect((await backend.request('POST', `/api/v1/bots/${bot.botId}/leads/${leadId}/conversation/handover`, { token: bot.token, body: { team: 'billing', priority: 'high' } })).status).toBe(200);
    const leads = async (query: string) => (await desk(bob, 'GET', `/conversations?${query}`)).body.conversations.map((c: { leadId: string }) => c.leadId);
    expect(await leads('queue=all&team=billing')).toEqual([leadId]);
    expect(await leads('queue=all&team=sales')).toEqual([]);
    const [entry] = (await desk(bob, 'GET', '/conversations?queue=waiting&team=billing')).body.conversations;
    expect(entry).toMatchObject({ leadId, handover: { team: 'billing', priority: 'high' }, person: { leadId, channel: 'telegram' } });
    expect((await desk(bob, 'GET', '/conversations?queue=everything')).status).toBe(422);
  });

  it('lets exactly one of two operators take a conversation at once; the other gets 409 and cannot answer it', async () => {
    const { leadId } = await personWaiting();
    const path = `/conversations/${leadId}`;
    const answers = await Promise.all([desk(ann, 'POST', `${path}/take`), desk(bob, 'POST', `${path}/take`)]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 409]);
    const [winner, loser] = answers[0].status === 200 ? [ann, bob] : [bob, ann];
    const lost = answers.find((a) => a.status === 409)!;
    expect(lost.body.message).toMatch(/assigned|changed at the same time/);
    expect((await desk(loser, 'POST', `${path}/reply`, { text: 'me too' })).status).toBe(409);
    expect((await desk(loser, 'POST', `${path}/return`)).status).toBe(409);
    expect((await desk(loser, 'POST', `${path}/close`)).status).toBe(409);
    expect((await desk(winner, 'GET', path)).body.conversation.state).toBe('assigned');
  });

  it('transfers to another operator, refuses one who may not answer, returns to the bot and closes', async () => {
    const { leadId } = await personWaiting();
    const path = `/conversations/${leadId}`;
    // A waiting conversation handed straight to a colleague.
    expect((await desk(bob, 'POST', `${path}/transfer`, { operator: 'ann@example.com' })).body.conversation).toMatchObject({ state: 'assigned', operator: { id: 'ann@example.com' } });
    expect((await desk(ann, 'GET', '/operators')).body.operators.map((o: { email: string }) => o.email).sort()).toEqual(['admin@example.com', 'ann@example.com', 'bob@example.com']);
    expect((await desk(ann, 'POST', `${path}/transfer`, { operator: 'ana@example.com' })).status).toBe(404);
    const moved = await desk(ann, 'POST', `${path}/transfer`, { operator: 'bob@example.com' });
    expect(moved.body.conversation).toMatchObject({ state: 'assigned', operator: { id: 'bob@example.com' }, handover: { reason: 'transferred by ann@example.com' } });
    expect((await desk(ann, 'POST', `${path}/return`)).status).toBe(409);
    // An admin may take a conversation back from an operator.
    expect((await desk(admin, 'POST', `${path}/return`)).body.conversation.state).toBe('bot');
    const sessionId = moved.body.conversation.sessionId;
    const closed = await desk(bob, 'POST', `${path}/close`);
    expect(closed.body.conversation.sessionId).not.toBe(sessionId);
    expect((await desk(bob, 'POST', `${path}/return`)).status).toBe(409);
    expect((await desk(bob, 'GET', `/conversations/ld_nobodyatall`)).status).toBe(404);
    expect((await desk(bob, 'GET', `/conversations/not-a-lead`)).status).toBe(422);
  });

  it('keeps saved answers per bot: create, refuse a duplicate title and bad input, update, delete', async () => {
    const created = await desk(ann, 'POST', '/canned-answers', { title: 'Greeting', text: 'Hello! How can I help?', quickReplies: ['Order', 'Refund'] });
    expect(created.status).toBe(201);
    expect(created.body.answer).toMatchObject({ title: 'Greeting', quickReplies: ['Order', 'Refund'], updatedBy: 'ann@example.com' });
    expect((await desk(bob, 'POST', '/canned-answers', { title: 'Greeting', text: 'again' })).status).toBe(409);
    expect((await desk(bob, 'POST', '/canned-answers', { title: '', text: 'x' })).status).toBe(422);
    const id = created.body.answer.id;
    const updated = await desk(bob, 'PUT', `/canned-answers/${id}`, { title: 'Greeting', text: 'Hi there!' });
    expect(updated.body.answer).toMatchObject({ text: 'Hi there!', quickReplies: [], updatedBy: 'bob@example.com' });
    const other = await backend.createBot();
    expect((await ann.request('GET', `/bots/${other.botId}/desk/canned-answers`)).body.answers).toEqual([]);
    expect((await ann.request('DELETE', `/bots/${other.botId}/desk/canned-answers/${id}`)).status).toBe(404);
    expect((await desk(ann, 'GET', '/canned-answers')).body.answers.map((a: { title: string }) => a.title)).toEqual(['Greeting']);
    expect((await desk(ann, 'DELETE', `/canned-answers/${id}`)).status).toBe(200);
    expect((await desk(ann, 'GET', '/canned-answers')).body.answers).toEqual([]);
  });

  it('holds the limit of saved answers per bot when several are created at once', async () => {
    const { botId } = await backend.createBot();
    const now = Date.now();
    const rows = Array.from({ length: MAX_CANNED_ANSWERS - 2 }, (_, i) => ({ bot_id: botId, title: `seeded ${i}`, text: 'x', quick_replies: '[]', updated_by: 'seed', created_at: now, updated_at: now }));
    await backend.ctx.db.batchInsert('canned_answers', rows, 100);
    const answers = await Promise.all(Array.from({ length: 6 }, (_, i) => ann.request('POST', `/bots/${botId}/desk/canned-answers`, { title: `raced ${i}`, text: 'y' })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 409, 409, 409, 409]);
    expect(Number((await backend.ctx.db('canned_answers').where({ bot_id: botId }).count({ n: '*' }).first())!.n)).toBe(MAX_CANNED_ANSWERS);
  });

  it('streams a change event when a note is added, and refuses the stream without the permission', async () => {
    const { leadId } = await personWaiting();
    const controller = new AbortController();
    const response = await fetch(`${backend.url}/console/api/bots/${bot.botId}/desk/stream`, { headers: { cookie: ann.cookie }, signal: controller.signal });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const reader = response.body!.getReader();
    let received = '';
    const readUntil = async (count: number) => {
      while ((received.match(/event: change/g) ?? []).length < count) received += new TextDecoder().decode((await reader.read()).value);
    };
    await readUntil(1);
    await desk(ann, 'POST', `/conversations/${leadId}/notes`, { text: 'streamed' });
    await readUntil(2);
    controller.abort();
    const marks = [...received.matchAll(/data: (\{.*\})/g)].map((m) => JSON.parse(m[1]).mark);
    expect(new Set(marks).size).toBe(marks.length);

    const analyst = await consoleLogin(backend, 'ana@example.com');
    expect((await analyst.request('GET', `/bots/${bot.botId}/desk/stream`)).status).toBe(403);
  });

  it('caps the streams one session holds at CONSOLE_STREAMS_PER_SESSION: one more is a 429 in the error shape, and a closed stream frees its slot', async () => {
    const open = async (client: ConsoleClient) => {
      const controller = new AbortController();
      const response = await fetch(`${backend.url}/console/api/bots/${bot.botId}/desk/stream`, { headers: { cookie: client.cookie }, signal: controller.signal });
      return { response, close: () => controller.abort() };
    };
    const limit = backend.ctx.config.CONSOLE_STREAMS_PER_SESSION;
    expect(limit).toBe(4);
    const held = [];
    for (let i = 0; i < limit; i++) held.push(await open(bob));
    expect(held.map((s) => s.response.status)).toEqual(Array(limit).fill(200));

    const extra = await open(bob);
    expect(extra.response.status).toBe(429);
    expect(await extra.response.json()).toEqual({ success: false, message: expect.stringContaining('CONSOLE_STREAMS_PER_SESSION'), trace_id: expect.any(String) });
    // Another session (the same account in another browser) has slots of its own.
    const elsewhere = await open(await consoleLogin(backend, 'bob@example.com'));
    expect(elsewhere.response.status).toBe(200);
    elsewhere.close();

    // One closes: its slot is free once the backend sees the close, and the next open takes it.
    held.shift()!.close();
    const again = await eventually(async () => {
      const stream = await open(bob);
      if (stream.response.status === 200) return stream;
      await stream.response.body?.cancel();
      return undefined;
    });
    held.push(again);
    expect((await open(bob)).response.status).toBe(429);
    for (const stream of held) stream.close();
  });
});
