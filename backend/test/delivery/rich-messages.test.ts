import { createTelegramBot, seedLinkedLeads, useStandinBackend, waitUntilDone } from '../support/delivery';
import { dialect } from '../support/test-backend';

const PDF = Buffer.from('%PDF-1.4\n% a price list\n').toString('base64');

describe(`rich messages: kinds, limits at accept, upload once (${dialect})`, () => {
  const setup = useStandinBackend();
  let botId: number;
  let token: string;
  let telegram: Awaited<ReturnType<typeof createTelegramBot>>['telegram'];
  beforeAll(async () => {
    ({ botId, token, telegram } = await createTelegramBot(setup.backend, setup.standin));
  });
  const send = (body: Record<string, unknown>) => setup.backend.request('POST', `/api/v1/bots/${botId}/messages`, { token, body });
  const seed = (chatIds: number[]) => seedLinkedLeads(setup.backend.ctx.db, botId, chatIds);
  const tableCount = async (table: string) => Number((await setup.backend.ctx.db(table).count({ n: '*' }))[0].n);

  it('refuses at accept what Telegram would refuse at send, naming the field and the limit', async () => {
    const [lead] = await seed([9001]);
    const before = await tableCount('messages');
    const cases: Array<[Record<string, unknown>, string, RegExp]> = [
      [{ text: 'x'.repeat(4097) }, 'text', /at most 4096 characters/],
      [{ text: 'x'.repeat(1025), imageUrl: 'https://example.com/a.jpg' }, 'text', /caption .* at most 1024/],
      [{ text: 'x'.repeat(1025), media: { kind: 'document', url: 'https://example.com/a.pdf' } }, 'text', /at most 1024/],
      [{ text: 'Pick', buttons: [[{ text: 'a', data: 'é'.repeat(33) }]] }, 'buttons.0.0.data', /64 bytes/],
      [{ text: 'Pick', buttons: [Array.from({ length: 9 }, (_, i) => ({ text: `${i}` }))] }, 'buttons.0', /at most 8 buttons/],
      [{ text: 'Pick', buttons: Array.from({ length: 13 }, () => Array.from({ length: 8 }, (_, i) => ({ text: `${i}` }))) }, 'buttons', /100 buttons in all/],
      [{ album: [{ kind: 'photo', url: 'https://example.com/1.jpg' }] }, 'album', /at least 2 items/],
      [{ album: Array.from({ length: 11 }, () => ({ kind: 'photo', url: 'https://example.com/1.jpg' })) }, 'album', /at most 10 items/],
      [{ album: [{ kind: 'photo', url: 'https://example.com/1.jpg' }, { kind: 'document', url: 'https://example.com/a.pdf' }] }, 'album', /mixes photos and videos/],
      [{ text: 'Look', album: [{ kind: 'photo', url: 'https://example.com/1.jpg' }, { kind: 'photo', url: 'https://example.com/2.jpg' }], buttons: [[{ text: 'a' }]] }, 'album', /no buttons/],
      [{ text: 'here', location: { latitude: 10, longitude: 20 } }, 'text', /location carries no text/],
      [{ location: { latitude: 91, longitude: 20 } }, 'location.latitude', /90/],
      [{ media: { kind: 'document', url: 'https://example.com/a.pdf', fileId: 'abc' } }, 'media', /exactly one of url, fileId, upload/],
      [{ media: { kind: 'photo', upload: { data: Buffer.alloc(10 * 1024 * 1024 + 3).toString('base64'), fileName: 'big.jpg' } } }, 'media.upload.data', /at most 10 MB/],
      [{ text: '{{ params.long }}', params: { long: 'y'.repeat(5000) } }, 'text', /after rendering; this one is 5000/],
    ];
    for (const [body, path, message] of cases) {
      const answer = await send({ leadIds: [lead.leadId], ...body });
      expect({ status: answer.status, path: answer.body.errors?.[0]?.path }).toEqual({ status: 422, path });
      expect(answer.body).toMatchObject({ success: false, trace_id: expect.any(String) });
      expect(answer.body.errors[0].message).toMatch(message);
    }
    expect(await tableCount('messages')).toBe(before);
    // Markup does not count: 4096 visible characters inside tags fit.
    const fits = await send({ leadIds: [lead.leadId], text: `<b>${'x'.repeat(4096)}</b>`, parseMode: 'HTML' });
    expect(fits.status).toBe(202);
  }, 120_000);

  it('sends every kind by URL and by file id, and a location', async () => {
    const [lead] = await seed([9101]);
    const kinds = ['photo', 'document', 'video', 'audio', 'voice', 'animation'] as const;
    for (const kind of kinds) {
      const sent = await send({ leadIds: [lead.leadId], text: `a ${kind}`, media: { kind, url: `https://files.example.com/${kind}` } });
      expect(sent.status).toBe(202);
      expect((await waitUntilDone(setup.backend, botId, token, sent.body.messageId)).counts.sent).toBe(1);
    }
    const methods = telegram.messagesTo(9101).map((m) => [m.method, m.caption, m.file?.via]);
    expect(methods).toEqual(kinds.map((k) => [`send${k[0].toUpperCase()}${k.slice(1)}`, `a ${k}`, 'url']));

    const documentId = telegram.messagesTo(9101)[1].file!.fileId;
    const byId = await send({ leadIds: [lead.leadId], media: { kind: 'document', fileId: documentId } });
    await waitUntilDone(setup.backend, botId, token, byId.body.messageId);
    expect(telegram.messagesTo(9101).at(-1)!.file).toMatchObject({ via: 'file_id', fileId: documentId });

    const place = await send({ leadIds: [lead.leadId], location: { latitude: 55.75, longitude: 37.62 }, buttons: [[{ text: 'Route', url: 'https://maps.example.com' }]] });
    await waitUntilDone(setup.backend, botId, token, place.body.messageId);
    expect(telegram.messagesTo(9101).at(-1)).toMatchObject({ method: 'sendLocation', location: { latitude: 55.75, longitude: 37.62 } });
  }, 120_000);

  it('uploads a file sent to many once and sends the others its file_id', async () => {
    const chats = Array.from({ length: 12 }, (_, i) => 9200 + i);
    const leads = await seed(chats);
    const sent = await send({ leadIds: leads.map((l) => l.leadId), text: 'Prices for {{ lead.firstName }}', media: { kind: 'document', upload: { data: PDF, fileName: 'prices.pdf', mimeType: 'application/pdf' } } });
    expect(sent.status).toBe(202);
    const status = await waitUntilDone(setup.backend, botId, token, sent.body.messageId);
    expect(status.counts.sent).toBe(12);
    const files = chats.map((chat) => telegram.messagesTo(chat)[0].file!);
    expect(files.filter((f) => f.via === 'upload')).toHaveLength(1);
    expect(new Set(files.map((f) => f.fileId)).size).toBe(1);
    const stored = await setup.backend.ctx.db('message_files').where({ message_id: sent.body.messageId });
    expect(stored).toHaveLength(1);
    expect(stored[0]).toMatchObject({ file_name: 'prices.pdf', telegram_file_id: files[0].fileId, size: Buffer.from(PDF, 'base64').length });
    expect(Buffer.from(telegram.file(files[0].fileId)!.bytes!).toString('base64')).toBe(PDF);
  }, 120_000);

  it('sends an album with an upload, the text as the first caption', async () => {
    const leads = await seed([9301, 9302]);
    const album = [
      { kind: 'photo', url: 'https://files.example.com/1.jpg' },
      { kind: 'video', upload: { data: Buffer.from('fake mp4').toString('base64'), fileName: 'clip.mp4' } },
      { kind: 'photo', fileId: telegram.messagesTo(9101)[0].file!.fileId, caption: 'own caption' },
    ];
    const sent = await send({ leadIds: leads.map((l) => l.leadId), text: 'Our room', album });
    const status = await waitUntilDone(setup.backend, botId, token, sent.body.messageId);
    expect(status.counts.sent).toBe(2);
    for (const chat of [9301, 9302]) {
      const items = telegram.messagesTo(chat);
      expect(items.map((m) => [m.method, m.caption])).toEqual([['sendMediaGroup', 'Our room'], ['sendMediaGroup', undefined], ['sendMediaGroup', 'own caption']]);
    }
    const videos = [9301, 9302].map((chat) => telegram.messagesTo(chat)[1].file!.via).sort();
    expect(videos).toEqual(['file_id', 'upload']);
    const row = await setup.backend.ctx.db('message_recipients').where({ message_id: sent.body.messageId }).first();
    expect(row.external_id.split(',')).toHaveLength(3);
  }, 120_000);

  it('fails one person whose rendering is too long, with the limit as the reason, and sends the others', async () => {
    const leads = await seed(Array.from({ length: 21 }, (_, i) => 9400 + i));
    const setBio = (leadId: string, bio: string) => setup.backend.ctx.db('leads').where({ id: leadId }).update({ attributes: JSON.stringify({ bio }) });
    const body = { leadIds: leads.map((l) => l.leadId), text: 'Hi {{ lead.attributes.bio }}', imageUrl: 'https://files.example.com/1.jpg' };
    // The accept check renders the first 20 recipients: a long rendering there is a 422 naming the
    // lead; moved from lead to lead it lands on the one recipient past them, which is accepted.
    let long: string | undefined;
    let sent;
    for (const lead of leads) {
      await setBio(lead.leadId, 'z'.repeat(1100));
      sent = await send(body);
      if (sent.status === 202) {
        long = lead.leadId;
        break;
      }
      expect(sent.body).toMatchObject({ errorCode: 422, message: `Message too long for Telegram (rendered for lead ${lead.leadId})` });
      await setBio(lead.leadId, 'ok');
    }
    expect(long).toBeDefined();
    const status = await waitUntilDone(setup.backend, botId, token, sent!.body.messageId);
    expect(status.counts).toMatchObject({ sent: 20, failed: 1 });
    const failed = status.recipients.find((r: { leadId: string }) => r.leadId === long);
    expect(failed.error).toMatch(/too long for Telegram: .*at most 1024 characters after rendering; this one is 1103/);
  }, 120_000);
});
