import { getWhatsappAccount } from '../../../src/channels/whatsapp/whatsapp-store';
import { runCli } from '../../support/cli';
import { dialect } from '../../support/test-backend';
import { useWhatsappBackend } from '../../support/whatsapp';

describe(`WhatsApp number over the API and the CLI (${dialect})`, () => {
  const setup = useWhatsappBackend();
  let botId: number;
  let token: string;
  beforeAll(async () => {
    ({ botId, token } = await setup.backend.createBot());
  });
  const api = (method: string, body?: unknown, auth = token, bot = botId) => setup.backend.request(method, `/api/v1/bots/${bot}/whatsapp`, { token: auth, body });

  it('PUT stores the credentials encrypted and never echoes them; the webhook then accepts signed updates', async () => {
    const number = setup.standin.createNumber();
    const template = { name: 'follow_up', language: 'en_US', textParameter: true };
    const set = await api('PUT', { ...number.credentials, fallbackTemplate: template });
    expect(set.status).toBe(200);
    const webhookUrl = `${setup.backend.url}/whatsapp/${botId}/webhook`;
    expect(set.body.whatsapp).toEqual({ configured: true, phoneNumberId: number.phoneNumberId, displayPhoneNumber: null, webhookUrl, fallbackTemplate: template, updatedAt: expect.any(String) });
    const stored = JSON.stringify(await setup.backend.ctx.db('whatsapp_bots').where({ bot_id: botId }).first());
    for (const secret of [number.accessToken, number.appSecret, number.verifyToken]) {
      expect(JSON.stringify(set.body)).not.toContain(secret);
      expect(stored).not.toContain(secret);
    }
    expect(await getWhatsappAccount(setup.backend.ctx, botId)).toMatchObject(number.credentials);
    number.webhookUrl = webhookUrl;
    expect((await number.verify()).status).toBe(200);
    expect((await number.user('79181112233').writes('hi')).status).toBe(200);
  });

  it('the displayed number makes link tokens come with a wa.me link that redeems them; disconnecting takes it away', async () => {
    const number = setup.standin.createNumber();
    const tokens = () => setup.backend.request('POST', `/api/v1/bots/${botId}/link-tokens`, { token, body: { userId: 'crm-wa' } });
    expect((await tokens()).body.whatsappUrl).toBeNull();
    expect((await api('PUT', { ...number.credentials, displayPhoneNumber: 'call me' })).body.errors).toEqual([expect.objectContaining({ path: 'displayPhoneNumber' })]);
    const set = await api('PUT', { ...number.credentials, displayPhoneNumber: '+7 918 000-11-22' });
    expect(set.body.whatsapp.displayPhoneNumber).toBe('79180001122');
    const issued = (await tokens()).body;
    expect(issued.whatsappUrl).toBe(`https://wa.me/79180001122?text=${encodeURIComponent(`/start ${issued.token}`)}`);

    number.webhookUrl = `${setup.backend.url}/whatsapp/${botId}/webhook`;
    await number.user('79185550000').writes(new URL(issued.whatsappUrl).searchParams.get('text')!);
    const user = (await setup.backend.request('GET', `/api/v1/bots/${botId}/users/crm-wa`, { token })).body.user;
    expect(user.leads).toEqual([expect.objectContaining({ channel: 'whatsapp', chatId: '79185550000' })]);

    expect((await api('PUT', number.credentials)).body.whatsapp.displayPhoneNumber).toBeNull();
    expect((await tokens()).body.whatsappUrl).toBeNull();
  });

  it('refuses malformed credentials (422, not echoed) and a number another bot has (409)', async () => {
    const bad = await api('PUT', { phoneNumberId: '+7 918', accessToken: 'short', appSecret: 'secretpart', verifyToken: 'x' });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { path: string }) => e.path).sort()).toEqual(['accessToken', 'appSecret', 'phoneNumberId', 'verifyToken']);
    expect(JSON.stringify(bad.body)).not.toContain('secretpart');
    const taken = (await getWhatsappAccount(setup.backend.ctx, botId))!;
    const other = await setup.backend.createBot();
    const conflict = await api('PUT', { ...setup.standin.createNumber().credentials, phoneNumberId: taken.phoneNumberId }, other.token, other.botId);
    expect(conflict.status).toBe(409);
  });

  it('needs the admin scope and is in the OpenAPI document', async () => {
    const limited = await setup.backend.createBot({ scopes: ['identity', 'messages'] });
    expect((await api('PUT', setup.standin.createNumber().credentials, limited.token, limited.botId)).status).toBe(403);
    expect((await api('GET', undefined, limited.token, limited.botId)).status).toBe(403);
    const doc = await setup.backend.request('GET', '/openapi.json');
    expect(Object.keys(doc.body.paths['/api/v1/bots/{botId}/whatsapp']).sort()).toEqual(['delete', 'get', 'put']);
  });

  it('DELETE disconnects (the webhook is then 404); a second DELETE is 404', async () => {
    expect((await api('DELETE')).body.whatsapp).toMatchObject({ configured: false, phoneNumberId: null });
    expect((await fetch(`${setup.backend.url}/whatsapp/${botId}/webhook?hub.mode=subscribe`)).status).toBe(404);
    expect((await api('DELETE')).status).toBe(404);
  });

  it('bot set-whatsapp stores the number from the CLI without printing a secret', async () => {
    const number = setup.standin.createNumber();
    const { DATABASE_URL } = setup.backend.ctx.config;
    const env = { DATA_DIR: setup.backend.dataDir, LOG_LEVEL: 'silent', SECRET_KEY: 'b'.repeat(64), ...(DATABASE_URL ? { DATABASE_URL } : {}) };
    const args = ['bot', 'set-whatsapp', String(botId), '--phone-number-id', number.phoneNumberId, '--access-token', number.accessToken, '--app-secret', number.appSecret, '--verify-token', number.verifyToken, '--template', 'follow_up', '--template-text'];
    const result = runCli(args, env);
    expect(result.status).toBe(0);
    for (const secret of [number.accessToken, number.appSecret, number.verifyToken]) expect(result.stdout + result.stderr).not.toContain(secret);
    expect(JSON.parse(result.stdout)).toMatchObject({ botId, whatsapp: 'credentials stored (encrypted)', fallbackTemplate: { name: 'follow_up', language: 'en_US', textParameter: true } });
    expect(await getWhatsappAccount(setup.backend.ctx, botId)).toMatchObject(number.credentials);
    const malformed = runCli([...args.slice(0, 5), '--access-token', 'x', '--app-secret', 'y', '--verify-token', 'short'], env);
    expect(malformed.status).not.toBe(0);
  });
});
