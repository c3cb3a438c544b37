import type { INodeProperties } from 'n8n-workflow';
import type { Show } from '../../shared/descriptions';

/** The CRM's user ID, the key every Link and User operation on a person works with. */
export function userIdField(show: Show, name = 'userId'): INodeProperties {
	return {
		displayName: 'User ID',
		name,
		type: 'string',
		required: true,
		default: '',
		description: 'The user\'s ID in the CRM',
		displayOptions: { show },
	};
}
