import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';
import { columnParameter } from '../fields';
import { onlyFor, statsPath, groupsOf, statsScope } from './fields';

const show = onlyFor('top');

export const description: INodeProperties[] = [
	columnParameter(show, 'Column Name or ID', 'column'),
	{ displayName: 'N', name: 'n', type: 'number', typeOptions: { minValue: 1 }, default: 10, description: 'How many rows or groups', displayOptions: { show } },
	{
		displayName: 'Direction',
		name: 'direction',
		type: 'options',
		options: [
			{ name: 'Highest First', value: 'desc' },
			{ name: 'Lowest First', value: 'asc' },
		],
		default: 'desc',
		displayOptions: { show },
	},
];

/** One output item per row, or per group with a Group Function. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const body: ApiBody<'topRows'> = {
		column: this.getNodeParameter('column', itemIndex) as string,
		n: this.getNodeParameter('n', itemIndex) as number,
		direction: this.getNodeParameter('direction', itemIndex) as ApiBody<'topRows'>['direction'],
		...statsScope.call(this, itemIndex),
		...groupsOf.call(this, itemIndex),
	};
	const fn = this.getNodeParameter('fn', itemIndex, '') as ApiBody<'topRows'>['fn'];
	if (fn) body.fn = fn;
	const answer = await metabotApiRequest(this, { operation: 'topRows', method: 'POST', path: statsPath.call(this, itemIndex, 'top'), body, itemIndex });
	return answer.rows as IDataObject[];
}
