import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { parseJsonParameter, type ItemOperation } from '../../shared/execute';
import { encodePath, metabotApiRequest } from '../../shared/transport';
import { columnParameter, filterFields, readColumnList, readFilter, readWindow, tableField, windowField } from './fields';

const all = { resource: ['stats'], operation: ['top', 'aggregate', 'percentile'] };
const only = (operation: string) => ({ resource: ['stats'], operation: [operation] });

const AGGREGATE_FUNCTIONS = [
	{ name: 'Average', value: 'avg' },
	{ name: 'Count', value: 'count' },
	{ name: 'Max', value: 'max' },
	{ name: 'Min', value: 'min' },
	{ name: 'Sum', value: 'sum' },
];

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['stats'] } },
		options: [
			{ name: 'Aggregate', value: 'aggregate', action: 'Aggregate rows', description: 'Count, sum, average, min, max, optionally per group' },
			{ name: 'Percentile Rank', value: 'percentile', action: 'Get the percentile rank of a value', description: 'Share of rows below a value (0-100)' },
			{ name: 'Top N', value: 'top', action: 'Get the top rows', description: 'The N highest (or lowest) rows or groups by a column' },
		],
		default: 'top',
	},
	tableField(all),
	columnParameter(only('top'), 'Column Name or ID', 'column'),
	{ displayName: 'N', name: 'n', type: 'number', typeOptions: { minValue: 1 }, default: 10, description: 'How many rows or groups', displayOptions: { show: only('top') } },
	{
		displayName: 'Direction',
		name: 'direction',
		type: 'options',
		options: [
			{ name: 'Highest First', value: 'desc' },
			{ name: 'Lowest First', value: 'asc' },
		],
		default: 'desc',
		displayOptions: { show: only('top') },
	},
	{
		displayName: 'Aggregates',
		name: 'aggregates',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Aggregate',
		default: { aggregate: [{ fn: 'count' }] },
		displayOptions: { show: only('aggregate') },
		options: [
			{
				displayName: 'Aggregate',
				name: 'aggregate',
				values: [
					{ displayName: 'Function', name: 'fn', type: 'options', options: AGGREGATE_FUNCTIONS, default: 'count' },
					{ displayName: 'Column', name: 'column', type: 'string', default: '', description: 'Not needed for Count' },
					{ displayName: 'Output Name', name: 'as', type: 'string', default: '', description: 'Defaults to fn_column' },
				],
			},
		],
	},
	columnParameter(only('percentile'), 'Column Name or ID', 'column'),
	{
		displayName: 'Rank',
		name: 'subject',
		type: 'options',
		options: [
			{ name: 'A Value', value: 'value', description: 'A value, or with Group By a group total' },
			{ name: 'A Row', value: 'rowId', description: 'A row\'s value, or with Group By the total of the row\'s group' },
			{ name: 'A Group', value: 'group', description: 'With Group By: the total of the group with these column values' },
		],
		default: 'value',
		displayOptions: { show: only('percentile') },
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'string',
		required: true,
		default: '',
		description: 'The value (or, with Group By, the group total) to rank',
		displayOptions: { show: { ...only('percentile'), subject: ['value'] } },
	},
	{
		displayName: 'Row ID',
		name: 'rowId',
		type: 'number',
		required: true,
		default: 0,
		description: 'The ID of the row to rank, e.g. the row just inserted',
		displayOptions: { show: { ...only('percentile'), subject: ['rowId'] } },
	},
	{
		displayName: 'Group (JSON)',
		name: 'group',
		type: 'json',
		required: true,
		default: '{}',
		placeholder: '{ "userId": "127" }',
		description: 'The Group By columns\' values of the group to rank',
		displayOptions: { show: { ...only('percentile'), subject: ['group'] } },
	},
	{
		displayName: 'Group By',
		name: 'groupBy',
		type: 'string',
		default: '',
		placeholder: 'userId',
		description: 'Columns (comma-separated) to group rows by',
		displayOptions: { show: all },
	},
	{
		displayName: 'Group Function',
		name: 'fn',
		type: 'options',
		options: [{ name: 'Per Row (No Grouping Total)', value: '' }, ...AGGREGATE_FUNCTIONS],
		default: '',
		description: 'With Group By: rank groups by this total of the column instead of listing rows per group',
		displayOptions: { show: only('top') },
	},
	{
		displayName: 'Group Function',
		name: 'groupFn',
		type: 'options',
		options: AGGREGATE_FUNCTIONS,
		default: 'sum',
		description: 'With Group By: what each group totals (e.g. the sum of minutes per user)',
		displayOptions: { show: only('percentile') },
	},
	windowField(all),
	...filterFields(all, false),
];

function tablePath(this: IExecuteFunctions, itemIndex: number, operation: string): string {
	return `/tables/${encodePath(this.getNodeParameter('table', itemIndex) as string)}/stats/${operation}`;
}

function scope(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const result: IDataObject = {};
	const filter = readFilter.call(this, itemIndex);
	const window = readWindow.call(this, itemIndex);
	if (filter) result.filter = filter;
	if (window) result.window = window;
	return result;
}

function withGroups(this: IExecuteFunctions, itemIndex: number, body: IDataObject): IDataObject {
	const groupBy = readColumnList.call(this, 'groupBy', itemIndex);
	return groupBy.length > 0 ? { ...body, groupBy } : body;
}

async function top(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const body: IDataObject = withGroups.call(this, itemIndex, {
		column: this.getNodeParameter('column', itemIndex),
		n: this.getNodeParameter('n', itemIndex),
		direction: this.getNodeParameter('direction', itemIndex),
		...scope.call(this, itemIndex),
	});
	const fn = this.getNodeParameter('fn', itemIndex, '') as string;
	if (fn) body.fn = fn;
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: tablePath.call(this, itemIndex, 'top'), body, itemIndex });
	return answer.rows as IDataObject[];
}

async function aggregate(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const aggregates = ((this.getNodeParameter('aggregates', itemIndex, {}) as { aggregate?: IDataObject[] }).aggregate ?? []).map(
		({ fn, column, as }) => ({ fn, ...(column ? { column } : {}), ...(as ? { as } : {}) }),
	);
	const body = withGroups.call(this, itemIndex, { aggregates, ...scope.call(this, itemIndex) });
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: tablePath.call(this, itemIndex, 'aggregate'), body, itemIndex });
	return answer.rows as IDataObject[];
}

/** What is ranked: `value`, `rowId` or `group`, as the backend expects exactly one of them. */
function percentileSubject(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const subject = this.getNodeParameter('subject', itemIndex, 'value') as string;
	if (subject === 'rowId') return { rowId: Number(this.getNodeParameter('rowId', itemIndex)) };
	if (subject === 'group') return { group: parseJsonParameter(this.getNode(), this.getNodeParameter('group', itemIndex), 'Group', itemIndex) };
	const raw = this.getNodeParameter('value', itemIndex) as string | number;
	return { value: typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw };
}

async function percentile(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	let body: IDataObject = { column: this.getNodeParameter('column', itemIndex), ...percentileSubject.call(this, itemIndex), ...scope.call(this, itemIndex) };
	body = withGroups.call(this, itemIndex, body);
	if (body.groupBy) body.fn = this.getNodeParameter('groupFn', itemIndex, 'sum');
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: tablePath.call(this, itemIndex, 'percentile'), body, itemIndex });
	return { percentile: answer.percentile, below: answer.below, total: answer.total, value: answer.value ?? body.value ?? null };
}

export const operations: Record<string, ItemOperation> = { top, aggregate, percentile };
