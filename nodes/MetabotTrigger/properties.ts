import type { INodeProperties } from 'n8n-workflow';
import { eventOptions } from './events';

/** n8n's own name for a webhook that answers through a node later in the workflow. */
export const RESPOND_WITH_NODE = 'responseNode';

/** What the trigger subscribes to and how it responds; `subscription.ts` sends them to the backend on activation. */
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
	{
		displayName: 'Respond',
		name: 'responseMode',
		type: 'options',
		options: [
			{ name: 'Immediately', value: 'onReceived', description: 'The event is acknowledged as soon as it arrives' },
			{
				name: "Using 'Answer Call' Operation",
				value: RESPOND_WITH_NODE,
				description:
					'The workflow answers the endpoint call: Call Communication → Answer Call sends its answer to the calling system (endpoints with answer "workflow" in the map)',
			},
		],
		default: 'onReceived',
		description: 'When and how to respond to the backend',
	},
	{
		displayName:
			"Every path of this workflow should end in Call Communication → Answer Call; only the first answer counts. Listen only to endpoints with answer \"workflow\": other events wait for the workflow to finish. (n8n's Respond to Webhook node from version 1.1 on refuses triggers other than n8n's own Webhook.)",
		name: 'answerNotice',
		type: 'notice',
		default: '',
		displayOptions: { show: { responseMode: [RESPOND_WITH_NODE] } },
	},
];
