import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { ItemOperation } from '../../shared/execute';
import { encodePath, metabotApiRequest } from '../../shared/transport';
import { tableField } from './fields';

const show = (operation: string[]) => ({ resource: ['table'], operation });

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['table'] } },
		options: [
			{ name: 'Create', value: 'create', action: 'Create a table', description: 'Create a table with typed columns' },
			{ name: 'Delete', value: 'delete', action: 'Delete a table', description: 'Delete a table and all its rows' },
			{ name: 'List', value: 'list', action: 'List tables', description: 'List the bot\'s tables' },
		],
		default: 'list',
	},
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'orders',
		description: 'Letters, digits and underscores',
		displayOptions: { show: show(['create']) },
	},
	{
		displayName: 'Columns',
		name: 'columns',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Column',
		default: {},
		displayOptions: { show: show(['create']) },
		options: [
			{
				displayName: 'Column',
				name: 'column',
				values: [
					{ displayName: 'Name', name: 'name', type: 'string', default: '' },
					{
						displayName: 'Type',
						name: 'type',
						type: 'options',
						options: [
							{ name: 'Boolean', value: 'boolean' },
							{ name: 'Date Time', value: 'datetime' },
							{ name: 'JSON', value: 'json' },
							{ name: 'Number', value: 'number' },
							{ name: 'String', value: 'string' },
						],
						default: 'string',
					},
					{ displayName: 'Nullable', name: 'nullable', type: 'boolean', default: true, description: 'Whether the column may stay empty' },
					{ displayName: 'Unique', name: 'unique', type: 'boolean', default: false, description: 'Whether two rows may not share a value' },
				],
			},
		],
	},
	tableField(show(['delete'])),
];

async function create(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const columns = (this.getNodeParameter('columns', itemIndex, {}) as { column?: IDataObject[] }).column ?? [];
	const body = { name: this.getNodeParameter('name', itemIndex), columns };
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: '/tables', body, itemIndex });
	return answer.table as IDataObject;
}

async function list(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const answer = await metabotApiRequest.call(this, { method: 'GET', path: '/tables', itemIndex });
	return answer.tables as IDataObject[];
}

async function remove(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const table = this.getNodeParameter('table', itemIndex) as string;
	await metabotApiRequest.call(this, { method: 'DELETE', path: `/tables/${encodePath(table)}`, itemIndex });
	return { deleted: true, table };
}

export const operations: Record<string, ItemOperation> = { create, list, delete: remove };
