import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { purgeVisitorFiles } from '../../../src/channels/webchat/visitor-files';
import { dialect, ManualClock, startTestBackend, type TestBackend } from '../../support/test-backend';
import { newVisitor, type TestVisitor } from '../../support/webchat';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const PNG = Buffer.concat([Buffer.from('89504e470d0a1a0a0000000d49484452', 'hex'), crypto.randomBytes(256 * 1024)]);

interface Uploaded {
  fileId: string;
  messageId: number;
}

async function startBackend(retentionDays: string, clock: ManualClock) {
  const backend = await startTestBackend({ clock, env: { WORKERS_ENABLED: 'false', WEBCHAT_FILE_RETENTION_DAYS: retentionDays } });
  const { botId, token } = await backend.createBot({ name: 'Retention bot' });
  return { backend, botId, token };
}

function upload(backend: TestBackend, botId: number, visitor: TestVisitor): Promise<Uploaded> {
  return backend
    .request('POST', `/chat/${botId}/api/uploads?id=${crypto.randomUUID()}&name=photo.png`, { rawBody: PNG as unknown as string, headers: { authorization: `Bearer ${visitor.token}`, 'content-type': 'application/octet-stream' } })
    .then((res) => {
      expect(res.status).toBe(202);
      return { fileId: res.body.message.media.ref.slice(2), messageId: res.body.message.id };
    });
}

const onDisk = (backend: TestBackend, fileId: string) => fs.existsSync(path.join(backend.dataDir, 'webchat-files', fileId));

describe(`web chat: visitors' files are purged after the retention (${dialect})`, () => {
  const clock = new ManualClock();
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const download = (fileId: string) => fetch(`${backend.url}/api/v1/bots/${botId}/files/${fileId}`, { headers: { authorization: `Bearer ${token}` } });
  const visitorFile = (visitor: TestVisitor, messageId: number) => fetch(`${backend.url}/chat/${botId}/api/files/${messageId}/0`, { headers: { authorization: `Bearer ${visitor.token}` } });

  beforeAll(async () => {
    ({ backend, botId, token } = await startBackend('30', clock));
  });
  afterAll(() => backend?.close());

  it('keeps a file younger than the retention, then deletes its row and bytes; both downloads answer 404', async () => {
    const visitor = await newVisitor(backend, botId);
    const old = await upload(backend, botId, visitor);
    clock.advance(20 * DAY);
    const recent = await upload(backend, botId, visitor);

    clock.advance(10 * DAY + 1);
    expect(await purgeVisitorFiles(backend.ctx)).toBe(false);
    expect(await backend.ctx.db('webchat_files').where({ file_id: old.fileId }).first()).toBeUndefined();
    expect(onDisk(backend, old.fileId)).toBe(false);
    expect((await download(old.fileId)).status).toBe(404);
    const gone = await visitorFile(visitor, old.messageId);
    expect(gone.status).toBe(404);
    expect(await gone.json()).toMatchObject({ success: false, message: 'Unknown file' });
    // The history keeps the entry: the page shows the card without the bytes.
    expect((await visitor.history()).body.messages.map((m: { id: number }) => m.id)).toContain(old.messageId);

    expect(onDisk(backend, recent.fileId)).toBe(true);
    const kept = await download(recent.fileId);
    expect(kept.status).toBe(200);
    expect(Buffer.from(await kept.arrayBuffer()).equals(PNG)).toBe(true);
    expect(await purgeVisitorFiles(backend.ctx)).toBe(false);
  });

  it('a download racing the purge gets the whole file or a 404, never a 500 or a cut file', async () => {
    const visitor = await newVisitor(backend, botId);
    const file = await upload(backend, botId, visitor);
    clock.advance(31 * DAY);
    const downloads = Array.from({ length: 12 }, (_, i) => (i % 2 === 0 ? download(file.fileId) : visitorFile(visitor, file.messageId)));
    const [purged, ...answers] = await Promise.all([purgeVisitorFiles(backend.ctx), ...downloads]);
    expect(purged).toBe(false);
    for (const answer of answers) {
      expect([200, 404]).toContain(answer.status);
      const bytes = Buffer.from(await answer.arrayBuffer());
      if (answer.status === 200) expect(bytes.equals(PNG)).toBe(true);
    }
    expect(onDisk(backend, file.fileId)).toBe(false);
    expect((await download(file.fileId)).status).toBe(404);
  });

  it('purges in batches and says when there is more', async () => {
    const at = clock.now() - 40 * DAY;
    const rows = Array.from({ length: 501 }, (_, i) => ({ file_id: `wcf_${String(i).padStart(22, 'x')}`, bot_id: botId, visitor_id: 'v_x', file_name: 'a.png', mime_type: 'image/png', size: 1, created_at: at }));
    await backend.ctx.db.batchInsert('webchat_files', rows, 100);
    expect(await purgeVisitorFiles(backend.ctx)).toBe(true);
    expect(await purgeVisitorFiles(backend.ctx)).toBe(false);
    expect(Number((await backend.ctx.db('webchat_files').where('created_at', '<', clock.now() - 30 * DAY).count({ n: '*' }).first())!.n)).toBe(0);
  });
});

describe(`web chat: files no row names are removed after an hour (${dialect})`, () => {
  it("removes the bytes of a deleted bot's files and stray old files, keeps a fresh one (an upload between bytes and row)", async () => {
    const clock = new ManualClock();
    const { backend } = await startBackend('30', clock);
    try {
      const { botId: goneBot } = await backend.createBot({ name: 'Deleted bot' });
      const gone = await upload(backend, goneBot, await newVisitor(backend, goneBot));
      await backend.ctx.db('bots').where({ id: goneBot }).delete();
      expect(await backend.ctx.db('webchat_files').where({ file_id: gone.fileId }).first()).toBeUndefined();
      const folder = path.join(backend.dataDir, 'webchat-files');
      const stray = `wcf_${'s'.repeat(22)}`;
      const fresh = `wcf_${'f'.repeat(22)}`;
      fs.writeFileSync(path.join(folder, stray), 'x');
      fs.writeFileSync(path.join(folder, fresh), 'x');
      fs.writeFileSync(path.join(folder, 'notes.txt'), 'not a visitor file');
      const twoHoursAgo = new Date(Date.now() - 2 * 3_600_000);
      for (const name of [gone.fileId, stray, 'notes.txt']) fs.utimesSync(path.join(folder, name), twoHoursAgo, twoHoursAgo);

      expect(await purgeVisitorFiles(backend.ctx)).toBe(false);
      expect(fs.readdirSync(folder).sort()).toEqual(['notes.txt', fresh]);
    } finally {
      await backend.close();
    }
  });
});

describe(`web chat: WEBCHAT_FILE_RETENTION_DAYS=0 keeps visitors' files (${dialect})`, () => {
  it('purges nothing however old', async () => {
    const clock = new ManualClock();
    const { backend, botId, token } = await startBackend('0', clock);
    try {
      const file = await upload(backend, botId, await newVisitor(backend, botId));
      clock.advance(3650 * DAY);
      expect(await purgeVisitorFiles(backend.ctx)).toBe(false);
      expect(onDisk(backend, file.fileId)).toBe(true);
      expect((await backend.request('GET', `/api/v1/bots/${botId}/files/${file.fileId}`, { token })).status).toBe(200);
    } finally {
      await backend.close();
    }
  });
});
