import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { messageIdField } from './fields';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('message', ['getStatus']);

export const description: INodeProperties[] = [
	messageIdField({ show }),
	{
		displayName: 'Recipients to List',
		name: 'recipientsLimit',
		type: 'number',
		typeOptions: { minValue: 0, maxValue: 100_000 },
		default: 1000,
		description: 'How many recipients to list with their status; 0 outputs only the counts (queued, scheduled, sent, deferred, failed, skipped, cancelled): the way to follow a large send while it runs',
		displayOptions: { show },
	},
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const messageId = this.getNodeParameter('messageId', itemIndex) as string;
	const limit = this.getNodeParameter('recipientsLimit', itemIndex, 1000) as number;
	const answer = await metabotApiRequest(this, {
		operation: 'getMessageStatus',
		method: 'GET',
		path: `/messages/${encodeURIComponent(messageId)}`,
		qs: { limit },
		itemIndex,
	});
	return { ...(answer.message as IDataObject), trace_id: answer.trace_id };
}
