import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';
import { AGGREGATE_FUNCTIONS, onlyFor, statsPath, groupsOf, statsScope } from './fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Aggregates',
		name: 'aggregates',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true },
		placeholder: 'Add Aggregate',
		default: { aggregate: [{ fn: 'count' }] },
		displayOptions: { show: onlyFor('aggregate') },
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
];

/** One output item, or one per group. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const aggregates = ((this.getNodeParameter('aggregates', itemIndex, {}) as { aggregate?: ApiBody<'aggregateRows'>['aggregates'] }).aggregate ?? []).map(
		({ fn, column, as }) => ({ fn, ...(column ? { column } : {}), ...(as ? { as } : {}) }),
	);
	const body: ApiBody<'aggregateRows'> = { aggregates, ...statsScope.call(this, itemIndex), ...groupsOf.call(this, itemIndex) };
	const answer = await metabotApiRequest(this, { operation: 'aggregateRows', method: 'POST', path: statsPath.call(this, itemIndex, 'aggregate'), body, itemIndex });
	return answer.rows as IDataObject[];
}
