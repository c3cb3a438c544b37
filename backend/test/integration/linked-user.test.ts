import fs from 'node:fs';
import path from 'node:path';
import { ensureLead } from '../../src/identity/leads';
import { dialect, startTestBackend, type TestBackend } from '../support/test-backend';

const shopMap = JSON.parse(fs.readFileSync(path.resolve(__dirname, '../../../examples/maps/e-commerce.json'), 'utf8'));

describe(`endpoints that need a linked user answer "User not found" honestly (${dialect})`, () => {
  let backend: TestBackend;
  let botId: number;
  let token: string;
  const thankYou = (userId: number, headers: Record<string, string> = {}) =>
    backend.request('POST', `/api/v1/bots/${botId}/call/order/thank-you`, { token, headers, body: { script_request_params: { userId, orderId: 7 } } });

  beforeAll(async () => {
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: shopMap }));
    const lead = await ensureLead(backend.ctx.db, backend.ctx.clock, { botId, channel: 'telegram', chatId: '5001', profile: { firstName: 'Anna' } });
    const linked = await backend.request('POST', `/api/v1/bots/${botId}/links`, { token, body: { userId: '127', leadId: lead.id } });
    expect(linked.status).toBe(200);
  });
  afterAll(() => backend.close());

  it('accepts a call for a linked user', async () => {
    expect((await thankYou(127)).body).toMatchObject({ success: true, queued: true });
  });

  it('answers success=false with the unknown user, in a dry run too, and queues nothing', async () => {
    const events = async () => Number((await backend.ctx.db('events').where({ type: 'endpoint.called' }).count({ n: '*' }).first())!.n);
    const before = await events();
    const res = await thankYou(999);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ success: false, message: 'User not found', unknown: ['999'], inactive: [] });
    expect((await thankYou(999, { 'X-Dry-Run': 'true' })).body).toMatchObject({ success: false, message: 'User not found' });
    expect(await events()).toBe(before);
  });

  it('names a blocked user as inactive', async () => {
    expect((await backend.request('POST', `/api/v1/bots/${botId}/users/127/block`, { token, body: { reason: 'fraud' } })).status).toBe(200);
    const res = await thankYou(127);
    expect(res.body).toMatchObject({ success: false, message: 'User not found', inactive: [{ id: '127', reason: 'blocked' }] });
  });
});
