import { InputFile } from 'grammy';
import { telegramError as refusal, useGrammySuite } from './grammy-suite';

describe('Telegram stand-in: files, albums, locations, edits and deletes', () => {
  const telegram = useGrammySuite();

  it('takes an upload over multipart, answers its file_id and lets only this bot send it again', async () => {
    const { bot, api } = telegram.newBot();
    const sent = await api.sendDocument(10, new InputFile(Buffer.from('%PDF-1.4 hello'), 'price.pdf'), { caption: 'Prices' });
    expect(sent.document).toMatchObject({ file_name: 'price.pdf', file_size: 14 });
    expect(bot.messagesTo(10)[0]).toMatchObject({ method: 'sendDocument', caption: 'Prices', file: { via: 'upload' } });
    const again = await api.sendDocument(11, sent.document.file_id);
    expect(bot.messagesTo(11)[0].file).toMatchObject({ via: 'file_id', fileId: again.document.file_id });
    const { api: other } = telegram.newBot();
    expect((await refusal(other.sendDocument(10, sent.document.file_id))).description).toBe('Bad Request: wrong file identifier/HTTP URL specified');

    const file = await api.getFile(sent.document.file_id);
    const download = await fetch(`${telegram.standin.apiRoot}/file/bot${bot.token}/${file.file_path}`);
    expect(Buffer.from(await download.arrayBuffer()).toString()).toBe('%PDF-1.4 hello');
  });

  it('enforces the caption limit, upload sizes and the kinds of a file id', async () => {
    const { api } = telegram.newBot();
    expect((await refusal(api.sendPhoto(1, 'https://example.com/a.jpg', { caption: 'x'.repeat(1025) }))).description).toBe('Bad Request: message caption is too long');
    await api.sendPhoto(1, 'https://example.com/a.jpg', { caption: `<b>${'x'.repeat(1024)}</b>`, parse_mode: 'HTML' });
    expect((await refusal(api.sendPhoto(1, new InputFile(Buffer.alloc(10 * 1024 * 1024 + 1), 'big.jpg')))).error_code).toBe(413);
    const voice = await api.sendVoice(1, new InputFile(Buffer.from('OggS'), 'v.ogg'));
    expect((await refusal(api.sendVideo(1, voice.voice.file_id))).description).toMatch(/can't use file of type voice as video/);
  });

  it('sends albums of 2–10 items, photos with videos, documents only with documents', async () => {
    const { api } = telegram.newBot();
    const album = await api.sendMediaGroup(3, [
      { type: 'photo', media: 'https://example.com/1.jpg', caption: 'first' },
      { type: 'video', media: new InputFile(Buffer.from('mp4'), 'clip.mp4') },
    ]);
    expect(album).toHaveLength(2);
    expect(new Set(album.map((m) => (m as { media_group_id?: string }).media_group_id)).size).toBe(1);
    expect((await refusal(api.sendMediaGroup(3, [{ type: 'photo', media: 'https://example.com/1.jpg' }]))).description).toMatch(/2-10 items/);
    const eleven = Array.from({ length: 11 }, () => ({ type: 'photo' as const, media: 'https://example.com/1.jpg' }));
    expect((await refusal(api.sendMediaGroup(3, eleven))).description).toMatch(/2-10 items/);
    expect((await refusal(api.sendMediaGroup(3, [{ type: 'photo', media: 'https://example.com/1.jpg' }, { type: 'document', media: 'https://example.com/a.pdf' }] as unknown as Array<{ type: 'photo'; media: string }>))).description).toMatch(/can't be mixed/);
  });

  it('sends locations, edits captions, deletes messages and refuses a keyboard past 8 a row', async () => {
    const { bot, api } = telegram.newBot();
    const place = await api.sendLocation(4, 55.75, 37.62);
    expect(place.location).toEqual({ latitude: 55.75, longitude: 37.62 });
    expect((await refusal(api.sendLocation(4, 91, 0))).description).toBe('Bad Request: wrong latitude');
    const photo = await api.sendPhoto(4, 'https://example.com/a.jpg', { caption: 'old' });
    await api.editMessageCaption(4, photo.message_id, { caption: 'new' });
    expect(bot.messagesTo(4).find((m) => m.messageId === photo.message_id)?.caption).toBe('new');
    expect((await refusal(api.editMessageText(4, photo.message_id, 'text'))).description).toMatch(/no text in the message/);
    await api.deleteMessage(4, photo.message_id);
    expect((await refusal(api.deleteMessage(4, photo.message_id))).description).toMatch(/not found/);
    const row = Array.from({ length: 9 }, (_, i) => ({ text: `${i}`, callback_data: `${i}` }));
    expect((await refusal(api.sendMessage(4, 'x', { reply_markup: { inline_keyboard: [row] } }))).description).toBe('Bad Request: BUTTONS_TOO_MUCH');
    expect((await refusal(api.sendChatAction(4, 'dancing' as 'typing'))).description).toMatch(/action/);
  });
});
