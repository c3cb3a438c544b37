import type { INodePropertyOptions } from 'n8n-workflow';

/** Event types a subscription can ask for (the backend's event catalogue). */
export const eventOptions: INodePropertyOptions[] = [
	{ name: 'All Events', value: '*', description: 'Every event of the bot' },
	{ name: 'Bot Blocked', value: 'bot.blocked', description: 'A contact blocked the bot in the messenger' },
	{ name: 'Bot Started', value: 'bot.started', description: 'A contact started the bot (e.g. via a deep link)' },
	{ name: 'Bot Unblocked', value: 'bot.unblocked', description: 'A contact unblocked the bot' },
	{ name: 'Button Pressed', value: 'button.pressed', description: 'A contact pressed an inline button' },
	{ name: 'Contact Shared', value: 'contact.shared', description: 'A contact shared a phone number' },
	{ name: 'Endpoint Called', value: 'endpoint.called', description: 'A CRM called an endpoint (alias) of the bot' },
	{ name: 'Message Failed', value: 'message.failed', description: 'A message could not be delivered' },
	{ name: 'Message Received', value: 'message.received', description: 'A contact wrote to the bot' },
	{ name: 'Message Sent', value: 'message.sent', description: 'A message was delivered to a contact' },
	{ name: 'User Blocked', value: 'user.blocked', description: 'A CRM user was blocked' },
	{ name: 'User Deleted', value: 'user.deleted', description: 'A CRM user was deleted' },
	{ name: 'User Linked', value: 'user.linked', description: 'A CRM user was linked to a messenger contact' },
	{ name: 'User Paused', value: 'user.paused', description: 'Messages to a CRM user were paused' },
	{ name: 'User Resumed', value: 'user.resumed', description: 'Messages to a CRM user were resumed' },
	{ name: 'User Unblocked', value: 'user.unblocked', description: 'A CRM user was unblocked' },
	{ name: 'User Unlinked', value: 'user.unlinked', description: 'A CRM user was unlinked from a messenger contact' },
	{ name: 'User Updated', value: 'user.updated', description: 'The CRM pushed changed user data (users/update): changed fields, previous values, origin ID' },
];
