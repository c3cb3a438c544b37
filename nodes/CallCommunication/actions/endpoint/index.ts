import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as call from './call.operation';

export const operations = { call };

export const description: INodeProperties[] = [
	operationProperty(
		'endpoint',
		[
			{
				name: 'Call',
				value: 'call',
				action: 'Call an endpoint',
				description: 'Start the communication behind an alias of the bot\'s map',
			},
		],
		'call',
	),
	...call.description,
];
