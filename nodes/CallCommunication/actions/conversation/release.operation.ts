import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';
import { conversationDeliveryField, conversationLeadField } from './fields';

const show = showFor('conversation', ['release']);

export const description: INodeProperties[] = [conversationLeadField(show), conversationDeliveryField(show)];

/** The conversation as it is now: `bot`; every workflow gets the person's messages again. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const leadId = String(this.getNodeParameter('conversationLeadId', itemIndex)).trim();
	const deliveryId = String(this.getNodeParameter('conversationDeliveryId', itemIndex)).trim();
	const answer = await metabotApiRequest(this, {
		operation: 'releaseConversation',
		method: 'POST',
		path: `/leads/${encodeURIComponent(leadId)}/conversation/release`,
		body: { deliveryId },
		itemIndex,
	});
	return answer.conversation as IDataObject;
}
