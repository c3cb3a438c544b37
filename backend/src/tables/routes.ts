import type { OpenAPIRegistry } from '@asteasolutions/zod-to-openapi';
import express, { Router, type Request, type Response } from 'express';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { botAccess } from '../bots/access';
import { notFound, parseInput } from '../platform/errors';
import { botPathParams, errorResponses } from '../platform/openapi/registry';
import {
  addColumn,
  addColumnSchema,
  addIndex,
  createTable,
  createTableSchema,
  deleteTable,
  describeTable,
  indexInputSchema,
  listTables,
  loadTable,
  renameTable,
  renameTableSchema,
} from './catalogue';
import { deleteRows, deleteRowsSchema, getRow, insertRows, insertRowsSchema, queryRows, queryRowsSchema, updateRows, updateRowsSchema, upsertRows, upsertRowsSchema } from './rows';
import { aggregate, aggregateSchema, percentileRank, percentileSchema, top, topSchema } from './stats';
import { exportRows, importRows } from './transfer';

const importQuerySchema = z.object({ format: z.enum(['csv', 'json']).default('json'), mode: z.enum(['append', 'replace']).default('append') });
const exportQuerySchema = z.object({ format: z.enum(['csv', 'json']).default('json') });
const rowIdSchema = z.coerce.number().int().positive();

export function tablesRouter(ctx: AppContext, docs: OpenAPIRegistry): Router {
  documentRoutes(docs);
  const router = Router();
  const access = botAccess(ctx, 'tables');
  const base = '/bots/:botId/tables';
  const botId = (res: Response) => res.locals.bot.id;
  const table = (req: Request, res: Response) => loadTable(ctx.db, botId(res), String(req.params.name));
  const statsContext = async (req: Request, res: Response) => ({ db: ctx.db, table: await table(req, res), now: ctx.clock.now(), timeZone: res.locals.bot.timezone });

  router.post(base, access, async (req, res) => {
    const created = await createTable(ctx, botId(res), parseInput(createTableSchema, req.body));
    res.status(201).json({ success: true, table: describeTable(created) });
  });
  router.get(base, access, async (_req, res) => {
    res.json({ success: true, tables: (await listTables(ctx, botId(res))).map(describeTable) });
  });
  router.get(`${base}/:name`, access, async (req, res) => {
    const found = await table(req, res);
    const count = await ctx.db(found.physical).count({ n: '*' }).first();
    res.json({ success: true, table: { ...describeTable(found), rowCount: Number(count?.n ?? 0) } });
  });
  router.patch(`${base}/:name`, access, async (req, res) => {
    const { newName } = parseInput(renameTableSchema, req.body);
    res.json({ success: true, table: describeTable(await renameTable(ctx, botId(res), String(req.params.name), newName)) });
  });
  router.delete(`${base}/:name`, access, async (req, res) => {
    await deleteTable(ctx, botId(res), String(req.params.name));
    res.json({ success: true });
  });
  router.post(`${base}/:name/columns`, access, async (req, res) => {
    const updated = await addColumn(ctx, botId(res), String(req.params.name), parseInput(addColumnSchema, req.body));
    res.status(201).json({ success: true, table: describeTable(updated) });
  });
  router.post(`${base}/:name/indexes`, access, async (req, res) => {
    const updated = await addIndex(ctx, botId(res), String(req.params.name), parseInput(indexInputSchema, req.body));
    res.status(201).json({ success: true, table: describeTable(updated) });
  });

  router.post(`${base}/:name/rows`, access, async (req, res) => {
    const body = parseInput(insertRowsSchema, req.body);
    const ids = await insertRows(ctx.db, await table(req, res), body.rows, ctx.clock.now());
    res.status(201).json({ success: true, inserted: ids.length, ids });
  });
  router.post(`${base}/:name/rows/upsert`, access, async (req, res) => {
    const body = parseInput(upsertRowsSchema, req.body);
    res.json({ success: true, upserted: await upsertRows(ctx.db, await table(req, res), body.keys, body.rows, ctx.clock.now()) });
  });
  router.post(`${base}/:name/rows/query`, access, async (req, res) => {
    const body = parseInput(queryRowsSchema, req.body ?? {});
    res.json({ success: true, ...(await queryRows(ctx.db, await table(req, res), body)) });
  });
  router.patch(`${base}/:name/rows`, access, async (req, res) => {
    const body = parseInput(updateRowsSchema, req.body);
    res.json({ success: true, updated: await updateRows(ctx.db, await table(req, res), body, ctx.clock.now()) });
  });
  router.post(`${base}/:name/rows/delete`, access, async (req, res) => {
    const body = parseInput(deleteRowsSchema, req.body ?? {});
    res.json({ success: true, deleted: await deleteRows(ctx.db, await table(req, res), body) });
  });
  router.get(`${base}/:name/rows/:rowId`, access, async (req, res) => {
    const id = parseInput(rowIdSchema, req.params.rowId, 'row id');
    const row = await getRow(ctx.db, await table(req, res), id);
    if (!row) throw notFound(`No row with id ${id}`);
    res.json({ success: true, row });
  });

  router.post(`${base}/:name/stats/top`, access, async (req, res) => {
    const body = parseInput(topSchema, req.body);
    res.json({ success: true, ...(await top(await statsContext(req, res), body)) });
  });
  router.post(`${base}/:name/stats/aggregate`, access, async (req, res) => {
    const body = parseInput(aggregateSchema, req.body);
    res.json({ success: true, ...(await aggregate(await statsContext(req, res), body)) });
  });
  router.post(`${base}/:name/stats/percentile`, access, async (req, res) => {
    const body = parseInput(percentileSchema, req.body);
    res.json({ success: true, ...(await percentileRank(await statsContext(req, res), body)) });
  });

  const csvBody = express.text({ type: ['text/csv', 'text/plain'], limit: ctx.config.BODY_LIMIT });
  router.post(`${base}/:name/import`, access, csvBody, async (req, res) => {
    const query = parseInput(importQuerySchema, req.query, 'query');
    const imported = await importRows(ctx.db, await table(req, res), query.format, req.body, query.mode, ctx.clock.now());
    res.json({ success: true, imported, mode: query.mode });
  });
  router.get(`${base}/:name/export`, access, async (req, res) => {
    const query = parseInput(exportQuerySchema, req.query, 'query');
    await exportRows(ctx.db, await table(req, res), query.format, res);
  });
  return router;
}

type Method = 'get' | 'post' | 'patch' | 'delete';
const tableParams = botPathParams.extend({ name: z.string() });

function register(docs: OpenAPIRegistry, operationId: string, method: Method, path: string, summary: string, options: { body?: z.ZodType; query?: z.ZodObject; params?: z.ZodObject; status?: number; description?: string; bodyType?: string[] } = {}) {
  const content = (schema: z.ZodType) => Object.fromEntries((options.bodyType ?? ['application/json']).map((type) => [type, { schema }]));
  docs.registerPath({
    method,
    path: `/api/v1/bots/{botId}/tables${path}`,
    operationId,
    tags: ['Data tables'],
    summary,
    description: options.description,
    security: [{ bearerAuth: [] }],
    request: {
      params: options.params ?? (path ? tableParams : botPathParams),
      ...(options.query ? { query: options.query } : {}),
      ...(options.body ? { body: { content: content(options.body) } } : {}),
    },
    responses: { [options.status ?? 200]: { description: 'OK' }, 409: { description: 'Conflict (name taken, unique value repeated, missing unique index)' }, ...errorResponses('tables') },
  });
}

/** The OpenAPI description of these routes, registered when the router is built. */
function documentRoutes(docs: OpenAPIRegistry): void {
  register(docs, 'createTable', 'post', '', 'Create a table with typed columns and indexes', { body: createTableSchema, status: 201 });
  register(docs, 'listTables', 'get', '', 'List the bot\'s tables');
  register(docs, 'getTable', 'get', '/{name}', 'Describe a table (columns, indexes, row count)');
  register(docs, 'renameTable', 'patch', '/{name}', 'Rename a table', { body: renameTableSchema });
  register(docs, 'deleteTable', 'delete', '/{name}', 'Delete a table and its rows');
  register(docs, 'addColumn', 'post', '/{name}/columns', 'Add a column (a required column only to an empty table)', { body: addColumnSchema, status: 201 });
  register(docs, 'addIndex', 'post', '/{name}/indexes', 'Add an index, or a unique index (needed for upsert by those columns)', { body: indexInputSchema, status: 201 });
  register(docs, 'insertRows', 'post', '/{name}/rows', 'Insert up to 10,000 rows in one transaction', { body: insertRowsSchema, status: 201 });
  register(docs, 'upsertRows', 'post', '/{name}/rows/upsert', 'Insert or update rows by a key column set (which needs a unique index)', { body: upsertRowsSchema });
  register(docs, 'queryRows', 'post', '/{name}/rows/query', 'Query rows: filter, sort, limit/offset or cursor paging', { body: queryRowsSchema, description: 'Empty values sort as the smallest; ties break by id ascending. `nextCursor` continues the same query.' });
  register(docs, 'updateRows', 'patch', '/{name}/rows', 'Update the rows matching a filter (`all: true` for every row)', { body: updateRowsSchema });
  register(docs, 'deleteRows', 'post', '/{name}/rows/delete', 'Delete the rows matching a filter (`all: true` for every row)', { body: deleteRowsSchema });
  register(docs, 'getRow', 'get', '/{name}/rows/{rowId}', 'Read one row', { params: tableParams.extend({ rowId: z.number().int().positive() }) });
  register(docs, 'topRows', 'post', '/{name}/stats/top', 'TOP-N rows, TOP-N per group, or TOP-N groups by a total', {
    body: topSchema,
    description: 'Equal values keep id order (earlier rows first) and share a competition `rank` (1, 2, 2, 4); `position` is 1..n.',
  });
  register(docs, 'aggregateRows', 'post', '/{name}/stats/aggregate', 'count/sum/avg/min/max, grouped, over a time window', { body: aggregateSchema });
  register(docs, 'percentileRank', 'post', '/{name}/stats/percentile', 'Percentile rank of a value, a row or a group total', {
    body: percentileSchema,
    description: '`percentile = below / total * 100`: `below` items have a strictly smaller value, ties are not below. Items are rows, or with groupBy the groups\' fn(column) totals.',
  });
  register(docs, 'importRows', 'post', '/{name}/import', 'Import rows from CSV or JSON: all rows or none', { query: importQuerySchema, body: z.string(), bodyType: ['text/csv', 'application/json'] });
  register(docs, 'exportRows', 'get', '/{name}/export', 'Export every row as CSV or JSON', { query: exportQuerySchema });
}
