import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as getStatus from './getStatus.operation';
import * as send from './send.operation';
import * as sendAndWait from './sendAndWait.operation';

/** The operations run once per input item; Send and Wait runs once per execution (see the router). */
export const operations = { send, getStatus };

export { sendAndWait };

export const description: INodeProperties[] = [
	operationProperty(
		'message',
		[
			{
				name: 'Get Status',
				value: 'getStatus',
				action: 'Get the delivery status of a message',
				description: 'Per-recipient delivery status of a sent message',
			},
			{
				name: 'Send',
				value: 'send',
				action: 'Send a message',
				description: 'Send a message to users or leads in their messenger',
			},
			{
				name: 'Send and Wait for Reply',
				value: 'sendAndWait',
				action: 'Send a message and wait for reply',
				description: 'Send a message, pause the workflow, and continue with the button pressed or the text written',
			},
		],
		'send',
	),
	...send.description,
	...sendAndWait.description,
	...getStatus.description,
];
