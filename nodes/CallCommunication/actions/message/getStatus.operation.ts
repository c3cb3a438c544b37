import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { messageIdField } from './fields';
import { metabotApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [messageIdField({ show: showFor('message', ['getStatus']) })];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const messageId = this.getNodeParameter('messageId', itemIndex) as string;
	const answer = await metabotApiRequest(this, {
		operation: 'getMessageStatus',
		method: 'GET',
		path: `/messages/${encodeURIComponent(messageId)}`,
		itemIndex,
	});
	return { ...(answer.message as IDataObject), trace_id: answer.trace_id };
}
