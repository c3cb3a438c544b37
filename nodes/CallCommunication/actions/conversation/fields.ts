import type { INodeProperties } from 'n8n-workflow';
import type { Show } from '../../../shared/descriptions';

/** The lead whose conversation an operation changes (the trigger's `lead.id`). */
export function conversationLeadField(show: Show): INodeProperties {
	return {
		displayName: 'Lead ID',
		name: 'conversationLeadId',
		type: 'string',
		required: true,
		default: '={{ $json.lead?.id }}',
		description: 'The person\'s lead; a linked person\'s chats share one conversation',
		displayOptions: { show },
	};
}

/**
 * The delivery the trigger's item came with (`deliveryId`): the backend holds for the
 * subscription that received it, and only for the person it was about, so a workflow never handles
 * a subscription id and cannot hold for another workflow or a person it did not hear from.
 */
export function conversationDeliveryField(show: Show): INodeProperties {
	return {
		displayName: 'Delivery ID',
		name: 'conversationDeliveryId',
		type: 'string',
		required: true,
		default: '={{ $json.deliveryId }}',
		description: 'The Metabot Trigger item\'s delivery ID: its workflow alone gets the person\'s messages while it holds',
		displayOptions: { show },
	};
}
