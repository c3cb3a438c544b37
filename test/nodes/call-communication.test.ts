import { userAccountMap } from '../../backend/test/support/maps';
import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { botApi } from './support/bot-api';
import { describeWithN8n } from './support/n8n-runtime';

describeWithN8n('Call Communication in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;
  let botId: number;
  let token: string;

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    ({ botId, token } = await backend.createBot({ map: userAccountMap }));
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token });
  }, 120_000);
  afterAll(() => backend?.close());

  const callNode = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
    name: 'Call',
    type: 'callCommunication',
    parameters: { resource: 'endpoint', operation: 'call', ...parameters },
    ...extra,
  });

  it('calls an alias with fields from each input item, pairing every output with its item', async () => {
    const result = await engine.run(
      [
        callNode({
          alias: 'users/update',
          paramsMode: 'fields',
          paramsFields: {
            assignments: [
              { id: 'a', name: 'userId', type: 'number', value: '={{ $json.id }}' },
              { id: 'b', name: 'role', type: 'string', value: 'user' },
            ],
          },
          options: { traceId: '={{ "crm-" + $json.id }}' },
        }),
      ],
      { input: [{ id: 127 }, { id: 128 }] },
    );
    const output = result.output('Call');
    expect(output).toHaveLength(2);
    expect(output.map((item) => item.json)).toEqual([
      expect.objectContaining({ success: true, queued: true, trace_id: 'crm-127', event_id: expect.anything() }),
      expect.objectContaining({ success: true, queued: true, trace_id: 'crm-128' }),
    ]);
    expect(output.map((item) => item.pairedItem)).toEqual([{ item: 0 }, { item: 1 }]);
    const event = await backend.ctx.db('events').where({ id: output[0].json.event_id }).first();
    expect(JSON.parse(event.payload)).toMatchObject({ params: { userId: 127, role: 'user' }, source_system: 'n8n' });
  });

  it("continues the input item's trace_id when no Trace ID is set; the option wins; an item without one starts a trace", async () => {
    const call = (options: Record<string, unknown>) => callNode({ alias: 'users/connect-bot', paramsMode: 'json', paramsJson: '{"userId": 5}', options });
    const input = [{ trace_id: 'crm-from-item' }, { trace_id: 42 }, {}];
    const inherited = (await engine.run([call({})], { input })).output('Call').map((item) => item.json.trace_id);
    expect(inherited[0]).toBe('crm-from-item');
    for (const started of inherited.slice(1)) expect(started).toEqual(expect.stringMatching(/^[0-9a-f]{32}$/));
    expect(new Set(inherited).size).toBe(3);
    const chosen = (await engine.run([call({ traceId: 'crm-chosen' })], { input })).output('Call').map((item) => item.json.trace_id);
    expect(chosen).toEqual(['crm-chosen', 'crm-chosen', 'crm-chosen']);
  });

  it('calls with JSON params, dry run and idempotency key', async () => {
    const before = Number((await backend.ctx.db('events').count({ n: '*' }).first())!.n);
    const dry = await engine.run([callNode({ alias: 'users/connect-bot', paramsMode: 'json', paramsJson: '{"userId": 5}', options: { dryRun: true } })]);
    expect(dry.output('Call')[0].json).toMatchObject({ success: true, dry_run: true });
    expect(Number((await backend.ctx.db('events').count({ n: '*' }).first())!.n)).toBe(before);

    const once = callNode({ alias: 'users/connect-bot', paramsMode: 'json', paramsJson: '={{ JSON.stringify({ userId: $json.id }) }}', options: { idempotencyKey: 'n8n-order-1' } });
    const first = await engine.run([once], { input: [{ id: 9 }] });
    const again = await engine.run([once], { input: [{ id: 9 }] });
    expect(again.output('Call')[0].json.event_id).toBe(first.output('Call')[0].json.event_id);
  });

  it('fails the node with the backend message and every schema error', async () => {
    const result = await engine.run([callNode({ alias: 'users/update', paramsMode: 'json', paramsJson: '{"userId": true}' })]);
    const error = result.error('Call');
    expect(error).toBeDefined();
    expect(error!.name).toBe('NodeApiError');
    expect(error!.httpCode).toBe('422');
    expect(error!.description).toContain('script_request_params.role');
    const direct = await botApi(backend, botId, token)<'callEndpoint'>('POST', '/call/users/update', { script_request_params: { userId: true } });
    expect(error!.message).toBe(direct.body.message);
    expect(result.run.data.resultData.error?.message).toBe(error!.message);
  });

  it('continues on fail with an error item paired to the failing item', async () => {
    const result = await engine.run(
      [
        callNode(
          { alias: '={{ $json.alias }}', paramsMode: 'json', paramsJson: '{"userId": 1}' },
          { onError: 'continueRegularOutput' },
        ),
      ],
      { input: [{ alias: 'users/connect-bot' }, { alias: 'users/nothing' }] },
    );
    const output = result.output('Call');
    expect(output[0].json).toMatchObject({ success: true });
    expect(output[1].json).toMatchObject({ error: expect.any(String), httpCode: '404' });
    expect(output[1].pairedItem).toEqual({ item: 1 });
  });

  it('answers 401 from the backend as an authorization error', async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    const wrong = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token: 'garbage' });
    const result = await wrong.run([callNode({ alias: 'users/connect-bot', paramsMode: 'json', paramsJson: '{"userId": 1}' })]);
    expect(result.error('Call')!.httpCode).toBe('401');
  });

  it('lists the aliases of the bot map for the alias picker', async () => {
    const options = await engine.loadOptions(callNode({}), 'getAliases');
    expect(options.map((o) => o.value)).toEqual(['payments/succeeded', 'users/connect-bot', 'users/update']);
  });
});
