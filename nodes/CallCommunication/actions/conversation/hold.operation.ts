import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';
import { conversationDeliveryField, conversationLeadField } from './fields';

const show = showFor('conversation', ['hold']);

export const description: INodeProperties[] = [
	conversationLeadField(show),
	conversationDeliveryField(show),
	{
		displayName: 'Hold For (Seconds)',
		name: 'holdSeconds',
		type: 'number',
		typeOptions: { minValue: 1, maxValue: 86400 },
		default: 600,
		description: 'The hold ends by itself after this long; holding again extends it',
		displayOptions: { show },
	},
];

/** The conversation as it is now: `held` by this workflow's trigger, which alone gets the person's messages, taps and contacts. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const leadId = String(this.getNodeParameter('conversationLeadId', itemIndex)).trim();
	const deliveryId = String(this.getNodeParameter('conversationDeliveryId', itemIndex)).trim();
	const ttlSeconds = Number(this.getNodeParameter('holdSeconds', itemIndex));
	const answer = await metabotApiRequest(this, {
		operation: 'holdConversation',
		method: 'POST',
		path: `/leads/${encodeURIComponent(leadId)}/conversation/hold`,
		body: { deliveryId, ttlSeconds },
		itemIndex,
	});
	return answer.conversation as IDataObject;
}
