import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

const show = showFor('table', ['create']);

export const description: INodeProperties[] = [
	{
		displayName: 'Name',
		name: 'name',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'orders',
		description: 'Letters, digits and underscores',
		displayOptions: { show },
	},
	{
		displayName: 'Columns',
		name: 'columns',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Column',
		default: {},
		displayOptions: { show },
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
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const columns = (this.getNodeParameter('columns', itemIndex, {}) as { column?: ApiBody<'createTable'>['columns'] }).column ?? [];
	const body: ApiBody<'createTable'> = { name: this.getNodeParameter('name', itemIndex) as string, columns };
	const answer = await metabotApiRequest(this, { operation: 'createTable', method: 'POST', path: '/tables', body, itemIndex });
	return answer.table as IDataObject;
}
