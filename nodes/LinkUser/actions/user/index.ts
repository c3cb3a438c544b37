import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, showFor } from '../../../shared/descriptions';
import { userIdField } from '../fields';
import { ACCOUNT_TRANSITIONS, notifyField } from './transition';
import * as block from './block.operation';
import * as remove from './delete.operation';
import * as disconnect from './disconnect.operation';
import * as get from './get.operation';
import * as pause from './pause.operation';
import * as resume from './resume.operation';
import * as setAttributes from './setAttributes.operation';
import * as setContext from './setContext.operation';
import * as subscribe from './subscribe.operation';
import * as unblock from './unblock.operation';
import * as unsubscribe from './unsubscribe.operation';
import * as update from './update.operation';

export const operations = { get, pause, resume, block, unblock, disconnect, delete: remove, setAttributes, setContext, update, subscribe, unsubscribe };

export const description: INodeProperties[] = [
	operationProperty(
		'user',
		[
			{ name: 'Block', value: 'block', action: 'Block a user', description: 'Stop every message to the user until unblocked' },
			{ name: 'Delete', value: 'delete', action: 'Delete a user', description: 'Forget the user and unlink their leads' },
			{
				name: 'Disconnect',
				value: 'disconnect',
				action: 'Disconnect a user',
				description: 'De-authorise the user in the bot: their leads are unlinked until they sign in again',
			},
			{ name: 'Get', value: 'get', action: 'Get a user or leads', description: 'Find by user ID, lead ID, phone or email' },
			{ name: 'Pause', value: 'pause', action: 'Pause a user', description: 'Hold non-critical messages until a date' },
			{ name: 'Resume', value: 'resume', action: 'Resume a user', description: 'End a pause' },
			{ name: 'Set Attributes', value: 'setAttributes', action: 'Set lead attributes', description: 'Store values on a lead for message templates' },
			{ name: 'Set Context', value: 'setContext', action: 'Set conversation context', description: 'Store session variables of the person\'s current conversation (needs the conversations scope)' },
			{ name: 'Subscribe to Topic', value: 'subscribe', action: 'Subscribe to a topic', description: 'Add users or leads to a topic (scope audiences); each new member is a Topic Subscribed event' },
			{ name: 'Unblock', value: 'unblock', action: 'Unblock a user', description: 'Allow messages again' },
			{ name: 'Unsubscribe From Topic', value: 'unsubscribe', action: 'Unsubscribe from a topic', description: 'Take users or leads out of a topic; each is a Topic Unsubscribed event' },
			{ name: 'Update', value: 'update', action: 'Update a user', description: 'Store the CRM user\'s changed data; workflows get a User Updated event with what changed' },
		],
		'get',
	),
	...get.description,
	userIdField(showFor('user', [...ACCOUNT_TRANSITIONS, 'update'])),
	...update.description,
	...pause.description,
	...block.description,
	...resume.description,
	...unblock.description,
	...disconnect.description,
	...remove.description,
	notifyField,
	...setAttributes.description,
	...setContext.description,
	...subscribe.description,
	...unsubscribe.description,
];
