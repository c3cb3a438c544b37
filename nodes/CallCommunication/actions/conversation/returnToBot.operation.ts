import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';
import { conversationLeadField } from './fields';

const show = showFor('conversation', ['returnToBot']);

export const description: INodeProperties[] = [conversationLeadField(show)];

/** The conversation as it is now: `bot`; the workflows get the person's messages again. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const leadId = String(this.getNodeParameter('conversationLeadId', itemIndex)).trim();
	const answer = await metabotApiRequest(this, {
		operation: 'returnConversationToBot',
		method: 'POST',
		path: `/leads/${encodeURIComponent(leadId)}/conversation/return`,
		itemIndex,
	});
	return answer.conversation as IDataObject;
}
