import type { INodeProperties } from 'n8n-workflow';
import { optionsCollection, type Show, showFor } from '../../../shared/descriptions';

/** Recipients, text, buttons and delivery options shared by Send and Send and Wait. */
export function messageFields(operation: string): INodeProperties[] {
	const show = showFor('message', [operation]);
	return [
		{
			displayName: 'Send To',
			name: 'recipientType',
			type: 'options',
			options: [
				{ name: 'User IDs', value: 'userIds', description: 'CRM user IDs; the message goes to their linked messenger accounts' },
				{ name: 'Lead IDs', value: 'leadIds', description: 'Messenger contacts (leads) by their Metabot ID' },
			],
			default: 'userIds',
			displayOptions: { show },
		},
		{
			displayName: 'Recipients',
			name: 'recipients',
			type: 'string',
			required: true,
			default: '',
			placeholder: '127, 128',
			description: 'IDs separated by commas, or an expression returning an array',
			displayOptions: { show },
		},
		{
			displayName: 'Text',
			name: 'text',
			type: 'string',
			typeOptions: { rows: 5 },
			required: true,
			default: '',
			placeholder: 'Hello {{ lead.firstName }}, your order {{ params.orderId }} is on its way',
			description:
				'Message template. Placeholders are filled per recipient: {{ lead.firstName }}, {{ lead.attributes.x }}, {{ params.x }}, {{ user.userId }}. Use n8n expressions for values from this workflow.',
			displayOptions: { show },
		},
	];
}

export function buttonsField(operation: string, extraShow: Show = {}): INodeProperties {
	return {
		displayName: 'Buttons',
		name: 'buttons',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Button',
		default: {},
		displayOptions: { show: showFor('message', [operation], extraShow) },
		options: [
			{
				displayName: 'Button',
				name: 'button',
				values: [
					{ displayName: 'Text', name: 'text', type: 'string', default: '', description: 'Label shown on the button' },
					{
						displayName: 'Type',
						name: 'type',
						type: 'options',
						options: [
							{ name: 'Reply With Data', value: 'data', description: 'Pressing sends the value back (button pressed event or answer)' },
							{ name: 'Open URL', value: 'url', description: 'Pressing opens a link' },
						],
						default: 'data',
					},
					{ displayName: 'Value', name: 'value', type: 'string', default: '', description: 'Data sent back, or the URL to open' },
					{
						displayName: 'Same Row as Previous',
						name: 'sameRow',
						type: 'boolean',
						default: false,
						description: 'Whether to put this button next to the previous one instead of on a new row',
					},
				],
			},
		],
	};
}

export function deliveryOptions(operation: string): INodeProperties {
	return optionsCollection(showFor('message', [operation]), [
		{
			displayName: 'Ask for Phone Number',
			name: 'requestContact',
			type: 'string',
			default: '',
			placeholder: 'Share my phone number',
			description:
				'Text of a button that shares the person\'s phone number (Telegram\'s contact button; not together with inline buttons). The answer arrives as a Contact Shared event.',
		},
		{
			displayName: 'Channel',
			name: 'channel',
			type: 'options',
			options: [
				{ name: 'Last Active', value: 'last', description: 'The messenger the recipient used last' },
				{ name: 'All', value: 'all', description: 'Every linked messenger' },
			],
			default: 'last',
		},
		{
			displayName: 'Critical',
			name: 'critical',
			type: 'boolean',
			default: false,
			description: 'Whether to deliver even to paused users (e.g. security or payment notices)',
		},
		{
			displayName: 'Dry Run',
			name: 'dryRun',
			type: 'boolean',
			default: false,
			description: 'Whether to only check recipients and render the text, without sending',
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			description: 'Sends with the same key go out once; repeats get the first answer back',
		},
		{ displayName: 'Image URL', name: 'imageUrl', type: 'string', default: '', description: 'Picture sent with the text' },
		{
			displayName: 'Parse Mode',
			name: 'parseMode',
			type: 'options',
			options: [
				{ name: 'Plain Text', value: '' },
				{ name: 'HTML', value: 'HTML' },
				{ name: 'MarkdownV2', value: 'MarkdownV2' },
			],
			default: '',
		},
		{
			displayName: 'Quick Replies',
			name: 'quickReplies',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			description: 'Answers offered under the message, one per line: a reply keyboard in Telegram, chips in the web chat. A tap sends the text as the person\'s message. Not together with buttons.',
		},
		{
			displayName: 'Template Parameters (JSON)',
			name: 'params',
			type: 'json',
			default: '{}',
			description: 'Values for {{ params.x }} placeholders in the text',
		},
		{
			displayName: 'Trace ID',
			name: 'traceId',
			type: 'string',
			default: '',
			description: 'Continue an existing trace (e.g. the trace_id of the trigger item)',
		},
	]);
}
