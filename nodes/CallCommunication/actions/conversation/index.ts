import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as handOver from './handOver.operation';
import * as hold from './hold.operation';
import * as release from './release.operation';
import * as returnToBot from './returnToBot.operation';

export const operations = { handOver, hold, release, returnToBot };

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
			{
				name: 'Hold',
				value: 'hold',
				action: 'Hold the conversation for this workflow',
				description: 'Only this workflow\'s trigger gets the person\'s messages until it releases them or the hold ends',
			},
			{ name: 'Release', value: 'release', action: 'Release the conversation', description: 'Every workflow gets the person\'s messages again' },
			{ name: 'Return to Bot', value: 'returnToBot', action: 'Return the conversation to the bot', description: 'Take the person back from the operators' },
		],
		'handOver',
	),
	...handOver.description,
	...hold.description,
	...release.description,
	...returnToBot.description,
];
