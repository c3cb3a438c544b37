import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as answer from './answer.operation';
import * as call from './call.operation';

/** Call runs once per input item; Answer Call answers once per execution (see the router). */
export const operations = { call };

export { answer };

export const description: INodeProperties[] = [
	operationProperty(
		'endpoint',
		[
			{
				name: 'Answer Call',
				value: 'answer',
				action: 'Answer the endpoint call',
				description: 'Send the answer of the endpoint call that started this workflow to the calling system',
			},
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
	...answer.description,
];
