import { ensureLead } from '../../backend/src/identity/leads';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';

describeWithN8n('Conversations in the n8n engine: Hand Over, Return to Bot, Get with the conversation, Set Context', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    const bot = await backend.createBot();
    botId = bot.botId;
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token: bot.token });
  }, 120_000);
  afterAll(() => backend?.close());

  const runOne = async (name: string, type: string, parameters: Record<string, unknown>, input?: Record<string, unknown>[]) => {
    const result = await engine.run([{ name, type, parameters }], { input });
    const error = result.error(name);
    if (error) throw error;
    return result.output(name)[0].json;
  };

  it('hands the lead of the trigger\'s item over, reads it back with its context, and returns it to the bot', async () => {
    const lead = await ensureLead(backend.ctx.db, backend.ctx.clock, { botId, channel: 'telegram', chatId: 'conv-1', profile: { firstName: 'Ann' } });
    const handed = await runOne('Hand Over', 'callCommunication', { resource: 'conversation', operation: 'handOver', reason: 'refund', team: 'billing', priority: 'high' }, [{ lead: { id: lead.id } }]);
    expect(handed).toMatchObject({ leadId: lead.id, state: 'waiting', handover: { reason: 'refund', team: 'billing', priority: 'high' } });

    const set = await runOne('Set Context', 'linkUser', { resource: 'user', operation: 'setContext', contextLeadId: lead.id, contextMode: 'json', contextJson: '{"orderId": 42}' });
    expect(set).toMatchObject({ context: { orderId: 42 }, state: 'waiting' });

    const got = await runOne('Get', 'linkUser', { resource: 'user', operation: 'get', findBy: 'leadId', lookup: lead.id });
    expect(got).toMatchObject({ id: lead.id, attributes: {}, conversation: { state: 'waiting', context: { orderId: 42 }, sessionId: expect.stringMatching(/^ses_/) } });

    const returned = await runOne('Return', 'callCommunication', { resource: 'conversation', operation: 'returnToBot' }, [{ lead: { id: lead.id } }]);
    expect(returned).toMatchObject({ state: 'bot', context: { orderId: 42 } });
    expect((await backend.request('GET', `/api/v1/bots/${botId}/leads/${lead.id}/conversation/messages`, { token: (await backend.createBot()).token })).status).toBe(403);
  });
});
