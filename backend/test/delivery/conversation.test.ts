import { createTelegramBot, seedLinkedLeads, useStandinBackend, waitUntilDone } from '../support/delivery';
import { eventually } from '../support/eventually';
import { dialect } from '../support/test-backend';

describe(`editing, deleting, typing and answering buttons (${dialect})`, () => {
  const setup = useStandinBackend({ TELEGRAM_BUTTON_ANSWER_DELAY_MS: '3000' });
  let botId: number;
  let token: string;
  let telegram: Awaited<ReturnType<typeof createTelegramBot>>['telegram'];
  beforeAll(async () => {
    ({ botId, token, telegram } = await createTelegramBot(setup.backend, setup.standin));
    setup.backend.ctx.wakeups.wake('telegram');
  });
  const api = (path: string, body: unknown) => setup.backend.request('POST', `/api/v1/bots/${botId}${path}`, { token, body });
  const sendAndWait = async (body: Record<string, unknown>) => {
    const sent = await api('/messages', body);
    await waitUntilDone(setup.backend, botId, token, sent.body.messageId);
    return sent.body.messageId as string;
  };

  it('edits and deletes a message sent to many, for all or for some', async () => {
    const chats = [7101, 7102, 7103, 7104, 7105];
    const leads = await seedLinkedLeads(setup.backend.ctx.db, botId, chats);
    const messageId = await sendAndWait({ leadIds: leads.map((l) => l.leadId), text: 'Sale until Friday', buttons: [[{ text: 'Buy', data: 'buy' }]] });

    const edited = await api(`/messages/${messageId}/edit`, { text: 'Sale is over', buttons: [] });
    expect(edited.status).toBe(200);
    expect(edited.body.success).toBe(true);
    expect(edited.body.results.map((r: { leadId: string; ok: boolean }) => [r.leadId, r.ok]).sort()).toEqual(leads.map((l) => [l.leadId, true]).sort());
    for (const chat of chats) expect(telegram.messagesTo(chat)[0]).toMatchObject({ text: 'Sale is over', replyMarkup: { inline_keyboard: [] } });

    const some = await api(`/messages/${messageId}/edit`, { buttons: [[{ text: 'Next sale', url: 'https://shop.example/next' }]], leadIds: [leads[0].leadId] });
    expect(some.body.results).toEqual([{ leadId: leads[0].leadId, ok: true }]);
    expect(telegram.messagesTo(chats[0])[0].edits).toHaveLength(2);
    expect(telegram.messagesTo(chats[1])[0].edits).toHaveLength(1);

    const tooLong = await api(`/messages/${messageId}/edit`, { text: 'x'.repeat(4097) });
    expect(tooLong.status).toBe(422);
    expect(tooLong.body.errors[0]).toMatchObject({ path: 'text', message: expect.stringMatching(/at most 4096/) });

    const deleted = await api(`/messages/${messageId}/delete`, {});
    expect(deleted.body.success).toBe(true);
    for (const chat of chats) expect(telegram.messagesTo(chat)[0].deleted).toBe(true);
    const again = await api(`/messages/${messageId}/delete`, { leadIds: [leads[1].leadId] });
    expect(again.body).toMatchObject({ success: false, results: [{ leadId: leads[1].leadId, ok: false, error: expect.stringMatching(/message to delete not found/) }] });
    expect((await api('/messages/msg_unknown/delete', {})).status).toBe(404);
  }, 60_000);

  it('edits the caption of a file and deletes every message of an album', async () => {
    const [lead] = await seedLinkedLeads(setup.backend.ctx.db, botId, [7201]);
    const fileMessage = await sendAndWait({ leadIds: [lead.leadId], text: 'Old price', media: { kind: 'document', url: 'https://files.example.com/p.pdf' } });
    expect((await api(`/messages/${fileMessage}/edit`, { text: 'New price' })).body.success).toBe(true);
    expect(telegram.messagesTo(7201)[0].caption).toBe('New price');
    expect((await api(`/messages/${fileMessage}/edit`, { text: 'x'.repeat(1025) })).body.errors[0].message).toMatch(/at most 1024/);

    const album = await sendAndWait({ leadIds: [lead.leadId], album: [{ kind: 'photo', url: 'https://files.example.com/1.jpg' }, { kind: 'photo', url: 'https://files.example.com/2.jpg' }] });
    expect((await api(`/messages/${album}/delete`, {})).body.success).toBe(true);
    expect(telegram.messagesTo(7201).slice(1).map((m) => m.deleted)).toEqual([true, true]);
  }, 60_000);

  it('shows typing, and answers a pressed button with an alert before the backend would', async () => {
    const [lead] = await seedLinkedLeads(setup.backend.ctx.db, botId, [7301]);
    const typing = await api('/chat-actions', { leadIds: [lead.leadId] });
    expect(typing.body).toMatchObject({ success: true, results: [{ leadId: lead.leadId, ok: true }] });
    expect(telegram.chatActions.filter((a) => a.chatId === 7301).map((a) => a.action)).toEqual(['typing']);

    await sendAndWait({ leadIds: [lead.leadId], text: 'Confirm?', buttons: [[{ text: 'Yes', data: 'yes' }]] });
    const tap = telegram.tapButton(7301, 'yes');
    const event = await eventually(async () => {
      const row = await setup.backend.ctx.db('events').where({ bot_id: botId, type: 'button.pressed' }).orderBy('id', 'desc').first();
      return row ? JSON.parse(row.payload) : undefined;
    });
    expect(event.callbackId).toBe(tap.callbackQueryId);
    const answer = await api(`/buttons/${encodeURIComponent(event.callbackId)}/answer`, { text: 'Booked for 10:00', showAlert: true });
    expect(answer.status).toBe(200);
    expect(telegram.callbackAnswer(tap.callbackQueryId)).toMatchObject({ text: 'Booked for 10:00', showAlert: true });
    const second = await api(`/buttons/${encodeURIComponent(event.callbackId)}/answer`, { text: 'again' });
    expect(second.status).toBe(409);
    expect((await api(`/buttons/${encodeURIComponent(event.callbackId)}/answer`, { text: 'x'.repeat(201) })).status).toBe(422);
  }, 60_000);
});

describe(`files from people (${dialect})`, () => {
  const setup = useStandinBackend();
  it('a document and a voice message arrive as events with their file ids; the download streams the bytes as an attachment', async () => {
    const { botId, token, telegram } = await createTelegramBot(setup.backend, setup.standin);
    setup.backend.ctx.wakeups.wake('telegram');
    const bytes = Buffer.from('<html><script>alert(1)</script></html>');
    const doc = telegram.userSendsFile(7401, 'document', bytes, { fileName: 'page.html', mimeType: 'text/html', caption: 'my file' });
    telegram.userSendsFile(7401, 'voice', Buffer.from('OggS voice'), { mimeType: 'audio/ogg' });
    const events = await eventually(async () => {
      const rows = await setup.backend.ctx.db('events').where({ bot_id: botId, type: 'message.received' }).orderBy('id');
      return rows.length >= 2 ? rows.map((r) => JSON.parse(r.payload).media) : undefined;
    });
    expect(events[0]).toMatchObject({ type: 'document', fileId: doc.fileId, fileName: 'page.html', mimeType: 'text/html', caption: 'my file' });
    expect(events[1]).toMatchObject({ type: 'voice', fileId: expect.any(String) });

    const download = await fetch(`${setup.backend.url}/api/v1/bots/${botId}/files/${doc.fileId}`, { headers: { authorization: `Bearer ${token}` } });
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/octet-stream');
    expect(download.headers.get('x-content-type-options')).toBe('nosniff');
    expect(download.headers.get('content-disposition')).toMatch(/^attachment;/);
    expect(Buffer.from(await download.arrayBuffer())).toEqual(bytes);
    const unknown = await fetch(`${setup.backend.url}/api/v1/bots/${botId}/files/nope`, { headers: { authorization: `Bearer ${token}` } });
    expect(unknown.status).toBe(404);
  }, 60_000);
});
