import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { assignmentsToObject, type ItemOperation } from '../../shared/execute';
import { encodePath, metabotApiRequest } from '../../shared/transport';
import { filterFields, readColumnList, readFilter, tableField } from './fields';

const show = (operation: string[], extra: IDataObject = {}) => ({ show: { resource: ['row'], operation, ...extra } });
const PAGE_SIZE = 1000;

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['row'] } },
		options: [
			{ name: 'Create or Update', value: 'upsert', action: 'Create or update a row', description: 'Create a new record, or update the current one if it already exists (upsert)' },
			{ name: 'Delete', value: 'delete', action: 'Delete rows', description: 'Delete the rows matching a filter' },
			{ name: 'Get Many', value: 'getMany', action: 'Get many rows', description: 'Rows matching a filter, sorted, limited' },
			{ name: 'Insert', value: 'insert', action: 'Insert a row', description: 'Add a row for each input item' },
			{ name: 'Update', value: 'update', action: 'Update rows', description: 'Change the rows matching a filter' },
		],
		default: 'insert',
	},
	tableField({ resource: ['row'], operation: ['insert', 'upsert', 'getMany', 'update', 'delete'] }),
	{
		displayName: 'Key Columns',
		name: 'keys',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'orderId',
		description: 'Columns (comma-separated) that identify a row; they should be unique together',
		displayOptions: show(['upsert']),
	},
	{
		displayName: 'Data',
		name: 'dataMode',
		type: 'options',
		options: [
			{ name: 'Map Input Fields', value: 'autoMap', description: 'Use the input item\'s fields as the columns' },
			{ name: 'Define Below', value: 'define', description: 'Set each column' },
		],
		default: 'autoMap',
		displayOptions: show(['insert', 'upsert']),
	},
	{
		displayName: 'Values',
		name: 'values',
		type: 'assignmentCollection',
		default: {},
		displayOptions: show(['insert', 'upsert'], { dataMode: ['define'] }),
	},
	{
		displayName: 'Set Values',
		name: 'set',
		type: 'assignmentCollection',
		default: {},
		description: 'New values for the matching rows',
		displayOptions: show(['update']),
	},
	...filterFields({ resource: ['row'], operation: ['getMany', 'update', 'delete'] }, false),
	{
		displayName: 'All Rows',
		name: 'allRows',
		type: 'boolean',
		default: false,
		description: 'Whether to change every row when no condition is set (a safety catch against emptying a table by mistake)',
		displayOptions: show(['update', 'delete']),
	},
	{
		displayName: 'Sort',
		name: 'sort',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Sort Rule',
		default: {},
		displayOptions: show(['getMany']),
		options: [
			{
				displayName: 'Rule',
				name: 'rule',
				values: [
					{
						displayName: 'Column Name or ID',
						name: 'column',
						type: 'options',
						typeOptions: { loadOptionsMethod: 'getColumns', loadOptionsDependsOn: ['table'] },
						default: '',
						description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
					},
					{
						displayName: 'Direction',
						name: 'direction',
						type: 'options',
						options: [
							{ name: 'Ascending', value: 'asc' },
							{ name: 'Descending', value: 'desc' },
						],
						default: 'asc',
					},
				],
			},
		],
	},
	{
		displayName: 'Return All',
		name: 'returnAll',
		type: 'boolean',
		default: false,
		description: 'Whether to return all results or only up to a given limit',
		displayOptions: show(['getMany']),
	},
	{
		displayName: 'Limit',
		name: 'limit',
		type: 'number',
		typeOptions: { minValue: 1 },
		default: 50,
		description: 'Max number of results to return',
		displayOptions: show(['getMany'], { returnAll: [false] }),
	},
];

function table(this: IExecuteFunctions, itemIndex: number): string {
	return `/tables/${encodePath(this.getNodeParameter('table', itemIndex) as string)}`;
}

function rowData(this: IExecuteFunctions, itemIndex: number): IDataObject {
	if (this.getNodeParameter('dataMode', itemIndex) === 'define') {
		return assignmentsToObject(this.getNodeParameter('values', itemIndex, {}));
	}
	return this.getInputData()[itemIndex].json;
}

async function insert(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const row = rowData.call(this, itemIndex);
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: `${table.call(this, itemIndex)}/rows`, body: { rows: [row] }, itemIndex });
	return { id: (answer.ids as unknown[] | undefined)?.[0] ?? null, ...row };
}

async function upsert(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const row = rowData.call(this, itemIndex);
	const keys = readColumnList.call(this, 'keys', itemIndex);
	const answer = await metabotApiRequest.call(this, {
		method: 'POST',
		path: `${table.call(this, itemIndex)}/rows/upsert`,
		body: { keys, rows: [row] },
		itemIndex,
	});
	return { upserted: answer.upserted, ...row };
}

function readSort(this: IExecuteFunctions, itemIndex: number): IDataObject[] {
	return ((this.getNodeParameter('sort', itemIndex, {}) as { rule?: IDataObject[] }).rule ?? []).filter((rule) => rule.column);
}

async function getMany(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	const wanted = returnAll ? Infinity : (this.getNodeParameter('limit', itemIndex, 50) as number);
	const base: IDataObject = { sort: readSort.call(this, itemIndex) };
	const filter = readFilter.call(this, itemIndex);
	if (filter) base.filter = filter;
	const rows: IDataObject[] = [];
	let cursor: string | undefined;
	do {
		const body: IDataObject = { ...base, limit: Math.min(PAGE_SIZE, wanted - rows.length) };
		if (cursor) body.cursor = cursor;
		const answer = await metabotApiRequest.call(this, { method: 'POST', path: `${table.call(this, itemIndex)}/rows/query`, body, itemIndex });
		rows.push(...(answer.rows as IDataObject[]));
		cursor = (answer.nextCursor as string | null) ?? undefined;
	} while (cursor && rows.length < wanted);
	return rows;
}

function scope(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const filter = readFilter.call(this, itemIndex);
	const all = this.getNodeParameter('allRows', itemIndex, false) as boolean;
	if (!filter && !all) {
		throw new NodeOperationError(this.getNode(), 'Add a condition, or turn on All Rows to change every row', { itemIndex });
	}
	return filter ? { filter } : { all: true };
}

async function update(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body = { ...scope.call(this, itemIndex), set: assignmentsToObject(this.getNodeParameter('set', itemIndex, {})) };
	const answer = await metabotApiRequest.call(this, { method: 'PATCH', path: `${table.call(this, itemIndex)}/rows`, body, itemIndex });
	return { updated: answer.updated };
}

async function remove(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body = scope.call(this, itemIndex);
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: `${table.call(this, itemIndex)}/rows/delete`, body, itemIndex });
	return { deleted: answer.deleted };
}

export const operations: Record<string, ItemOperation> = { insert, upsert, getMany, update, delete: remove };
