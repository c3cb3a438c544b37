import type { INodeProperties } from 'n8n-workflow';
import { eventOptions } from './events';

/** What the trigger subscribes to; `subscription.ts` sends both to the backend on activation. */
export const triggerProperties: INodeProperties[] = [
	{
		displayName: 'Trigger On',
		name: 'events',
		type: 'multiOptions',
		options: eventOptions,
		required: true,
		default: [],
		description: 'The events that start the workflow',
	},
	{
		displayName: 'Alias Names or IDs',
		name: 'aliases',
		type: 'multiOptions',
		typeOptions: { loadOptionsMethod: 'getAliases' },
		default: [],
		description:
			'Only endpoint calls to these aliases (globs like order/* work in an expression). Empty: every alias. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show: { events: ['endpoint.called', '*'] } },
	},
];
