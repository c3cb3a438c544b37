import { startTestBackend, type TestBackend } from '../../backend/test/support/test-backend';
import { describeWithN8n } from './support/n8n-runtime';

describeWithN8n('Metabot Data Table in the n8n engine', () => {
  let backend: TestBackend;
  let engine: import('./support/n8n-engine').N8nEngine;

  beforeAll(async () => {
    const { N8nEngine } = await import('./support/n8n-engine');
    backend = await startTestBackend();
    const { botId, token } = await backend.createBot();
    engine = await N8nEngine.load({ serverUrl: `${backend.url}/api/v1`, botId, token });
  }, 120_000);
  afterAll(() => backend?.close());

  const node = (parameters: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({ name: 'Table', type: 'metabotDataTable', parameters, ...extra });
  const runOne = async (parameters: Record<string, unknown>, input?: Record<string, unknown>[]) => {
    const result = await engine.run([node(parameters)], { input });
    const error = result.error('Table');
    if (error) throw Object.assign(new Error(error.message), error);
    return result.output('Table').map((item) => item.json);
  };
  const condition = (column: string, op: string, value?: unknown) => ({ column, op, value });

  it('creates, lists and deletes tables; the table and column pickers list them', async () => {
    const [created] = await runOne({
      resource: 'table',
      operation: 'create',
      name: 'scratch',
      columns: { column: [{ name: 'note', type: 'string', nullable: true, unique: false }] },
    });
    expect(created).toMatchObject({ name: 'scratch', columns: expect.arrayContaining([expect.objectContaining({ name: 'note', type: 'string' })]) });
    expect((await runOne({ resource: 'table', operation: 'list' })).map((t) => t.name)).toContain('scratch');
    expect((await engine.loadOptions(node({ resource: 'row', operation: 'insert' }), 'getTables')).map((o) => o.value)).toContain('scratch');
    const columns = await engine.loadOptions(node({ resource: 'row', operation: 'getMany', table: 'scratch' }), 'getColumns');
    expect(columns.map((o) => o.value)).toContain('note');
    expect(await runOne({ resource: 'table', operation: 'delete', table: 'scratch' })).toEqual([{ deleted: true, table: 'scratch' }]);
    expect((await runOne({ resource: 'table', operation: 'list' })).map((t) => t.name)).not.toContain('scratch');
  });

  describe('rows and stats', () => {
    beforeAll(async () => {
      await runOne({
        resource: 'table',
        operation: 'create',
        name: 'scores',
        columns: {
          column: [
            { name: 'player', type: 'string', nullable: false, unique: true },
            { name: 'team', type: 'string', nullable: true, unique: false },
            { name: 'points', type: 'number', nullable: true, unique: false },
          ],
        },
      });
    });

    it('inserts one row per input item (mapped fields) and upserts by key', async () => {
      const inserted = await runOne({ resource: 'row', operation: 'insert', table: 'scores', dataMode: 'autoMap' }, [
        { player: 'ann', team: 'red', points: 10 },
        { player: 'bob', team: 'red', points: 30 },
        { player: 'cid', team: 'blue', points: 20 },
        { player: 'dan', team: 'blue', points: 40 },
      ]);
      expect(inserted).toHaveLength(4);
      expect(inserted[0]).toMatchObject({ id: expect.anything(), player: 'ann' });
      const upserted = await runOne({
        resource: 'row',
        operation: 'upsert',
        table: 'scores',
        keys: 'player',
        dataMode: 'define',
        values: { assignments: [{ id: 'a', name: 'player', type: 'string', value: 'ann' }, { id: 'b', name: 'points', type: 'number', value: '15' }] },
      });
      expect(upserted[0]).toMatchObject({ upserted: 1, player: 'ann', points: 15 });
    });

    it('gets rows with a filter, sort and limit, and pages through everything with Return All', async () => {
      const red = await runOne({
        resource: 'row',
        operation: 'getMany',
        table: 'scores',
        match: 'all',
        conditions: { condition: [condition('team', 'eq', 'red')] },
        sort: { rule: [{ column: 'points', direction: 'desc' }] },
        limit: 1,
      });
      expect(red.map((r) => r.player)).toEqual(['bob']);
      const anyOf = await runOne({
        resource: 'row',
        operation: 'getMany',
        table: 'scores',
        match: 'any',
        conditions: { condition: [condition('player', 'in', 'ann, dan'), condition('points', 'isEmpty')] },
        returnAll: true,
      });
      expect(anyOf.map((r) => r.player).sort()).toEqual(['ann', 'dan']);
    });

    it('top N, aggregates per group, and the percentile rank of a value', async () => {
      const top = await runOne({ resource: 'stats', operation: 'top', table: 'scores', column: 'points', n: 2, direction: 'desc' });
      expect(top.map((r) => r.player)).toEqual(['dan', 'bob']);
      const perTeam = await runOne({
        resource: 'stats',
        operation: 'aggregate',
        table: 'scores',
        aggregates: { aggregate: [{ fn: 'sum', column: 'points', as: 'total' }, { fn: 'count', column: '', as: '' }] },
        groupBy: 'team',
        window: { type: 'today' },
      });
      expect(perTeam).toEqual(expect.arrayContaining([expect.objectContaining({ team: 'red', total: 45, count: 2 }), expect.objectContaining({ team: 'blue', total: 60, count: 2 })]));
      const [rank] = await runOne({ resource: 'stats', operation: 'percentile', table: 'scores', column: 'points', value: '25' });
      expect(rank).toMatchObject({ percentile: 50, below: 2, total: 4 });
    });

    it('ranks a group total among groups: by value, by the group of a row, and by the group itself', async () => {
      const percentile = (subject: Record<string, unknown>) =>
        runOne({ resource: 'stats', operation: 'percentile', table: 'scores', column: 'points', groupBy: 'team', groupFn: 'sum', window: { type: 'this_week' }, ...subject });
      const [dan] = await runOne({ resource: 'row', operation: 'getMany', table: 'scores', conditions: { condition: [condition('player', 'eq', 'dan')] } });
      // Team totals: red 15 + 30 = 45, blue 20 + 40 = 60.
      expect((await percentile({ subject: 'rowId', rowId: dan.id }))[0]).toEqual({ percentile: 50, below: 1, total: 2, value: 60 });
      expect((await percentile({ subject: 'group', group: '{"team": "red"}' }))[0]).toEqual({ percentile: 0, below: 0, total: 2, value: 45 });
      expect((await percentile({ subject: 'value', value: '100' }))[0]).toMatchObject({ percentile: 100, below: 2, total: 2 });
      const [maxima] = await percentile({ subject: 'value', value: '35', groupFn: 'max' });
      expect(maxima).toMatchObject({ percentile: 50, below: 1, total: 2 });
    });

    it('updates and deletes only with a condition (or All Rows) and reports the counts', async () => {
      const refused = await engine.run([node({ resource: 'row', operation: 'delete', table: 'scores' })]);
      expect(refused.error('Table')!.message).toMatch(/All Rows/);
      const [updated] = await runOne({
        resource: 'row',
        operation: 'update',
        table: 'scores',
        conditions: { condition: [condition('team', 'eq', 'blue')] },
        set: { assignments: [{ id: 'a', name: 'points', type: 'number', value: '0' }] },
      });
      expect(updated).toEqual({ updated: 2 });
      const [deleted] = await runOne({ resource: 'row', operation: 'delete', table: 'scores', conditions: { condition: [condition('points', 'lt', 1)] } });
      expect(deleted).toEqual({ deleted: 2 });
    });

    it('turns a backend validation error into a NodeApiError with every problem and the trace id', async () => {
      const result = await engine.run([node({ resource: 'row', operation: 'insert', table: 'scores', dataMode: 'autoMap' })], { input: [{ player: 'eve', points: 'many' }] });
      const error = result.error('Table')!;
      expect(error).toMatchObject({ name: 'NodeApiError', httpCode: '422' });
      expect(error.description).toMatch(/points/);
      expect(error.description).toMatch(/Trace ID: \S+/);
    });
  });
});
