import type { INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { transition } from './transition';

export const description: INodeProperties[] = [
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'string',
		default: '',
		description: 'Why the user is blocked (kept for the team)',
		displayOptions: { show: showFor('user', ['block']) },
	},
];

// An empty reason is left out of the request rather than stored as ''.
export const execute = transition('block', function (itemIndex) {
	return { reason: this.getNodeParameter('reason', itemIndex, '') || undefined };
});
