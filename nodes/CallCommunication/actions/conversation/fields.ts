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
