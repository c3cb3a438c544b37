import type { INodeProperties } from 'n8n-workflow';
import * as call from './call.operation';

export const operations = { call: call.execute };

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['endpoint'] } },
		options: [
			{
				name: 'Call',
				value: 'call',
				action: 'Call an endpoint',
				description: 'Start the communication behind an alias of the bot\'s map',
			},
		],
		default: 'call',
	},
	...call.description,
];
