import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as handOver from './handOver.operation';
import * as returnToBot from './returnToBot.operation';

export const operations = { handOver, returnToBot };

export const description: INodeProperties[] = [
	operationProperty(
		'conversation',
		[
			{
				name: 'Hand Over to Operator',
				value: 'handOver',
				action: 'Hand over to an operator',
				description: 'Put the person in the operators\' queue; workflows stop getting their messages (needs the conversations scope)',
			},
			{ name: 'Return to Bot', value: 'returnToBot', action: 'Return the conversation to the bot', description: 'Take the person back from the operators' },
		],
		'handOver',
	),
	...handOver.description,
	...returnToBot.description,
];
