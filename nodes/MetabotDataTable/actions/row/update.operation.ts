import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { assignmentsToObject } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';
import { tablePath } from '../fields';
import { rowScope } from './fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Set Values',
		name: 'set',
		type: 'assignmentCollection',
		default: {},
		description: 'New values for the matching rows',
		displayOptions: { show: showFor('row', ['update']) },
	},
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body = { ...rowScope.call(this, itemIndex), set: assignmentsToObject(this.getNodeParameter('set', itemIndex, {})) };
	const answer = await metabotApiRequest(this, { operation: 'updateRows', method: 'PATCH', path: `${tablePath.call(this, itemIndex)}/rows`, body, itemIndex });
	return { updated: answer.updated };
}
