import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { parseJsonParameter } from '../../../shared/parameters';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

type PercentileBody = ApiBody<'percentileRank'>;
import { columnParameter } from '../fields';
import { onlyFor, statsPath, groupsOf, statsScope } from './fields';

export const description: INodeProperties[] = [
	columnParameter(onlyFor('percentile'), 'Column Name or ID', 'column'),
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
		displayOptions: { show: onlyFor('percentile') },
	},
	{
		displayName: 'Value',
		name: 'value',
		type: 'string',
		required: true,
		default: '',
		description: 'The value (or, with Group By, the group total) to rank',
		displayOptions: { show: onlyFor('percentile', { subject: ['value'] }) },
	},
	{
		displayName: 'Row ID',
		name: 'rowId',
		type: 'number',
		required: true,
		default: 0,
		description: 'The ID of the row to rank, e.g. the row just inserted',
		displayOptions: { show: onlyFor('percentile', { subject: ['rowId'] }) },
	},
	{
		displayName: 'Group (JSON)',
		name: 'group',
		type: 'json',
		required: true,
		default: '{}',
		placeholder: '{ "userId": "127" }',
		description: 'The Group By columns\' values of the group to rank',
		displayOptions: { show: onlyFor('percentile', { subject: ['group'] }) },
	},
];

/** What is ranked: `value`, `rowId` or `group`, as the backend expects exactly one of them. */
function percentileSubject(this: IExecuteFunctions, itemIndex: number): Pick<PercentileBody, 'value' | 'rowId' | 'group'> {
	const subject = this.getNodeParameter('subject', itemIndex, 'value') as string;
	if (subject === 'rowId') return { rowId: Number(this.getNodeParameter('rowId', itemIndex)) };
	if (subject === 'group') return { group: parseJsonParameter(this.getNode(), this.getNodeParameter('group', itemIndex), 'Group', itemIndex) };
	const raw = this.getNodeParameter('value', itemIndex) as string | number;
	return { value: typeof raw === 'string' && raw.trim() !== '' && !Number.isNaN(Number(raw)) ? Number(raw) : raw };
}

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body: PercentileBody = {
		column: this.getNodeParameter('column', itemIndex) as string,
		...percentileSubject.call(this, itemIndex),
		...statsScope.call(this, itemIndex),
		...groupsOf.call(this, itemIndex),
	};
	if (body.groupBy) body.fn = this.getNodeParameter('groupFn', itemIndex, 'sum') as PercentileBody['fn'];
	const answer = await metabotApiRequest(this, { operation: 'percentileRank', method: 'POST', path: statsPath.call(this, itemIndex, 'percentile'), body, itemIndex });
	return { percentile: answer.percentile, below: answer.below, total: answer.total, value: answer.value ?? body.value ?? null };
}
