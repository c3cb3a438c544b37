import type { INodeProperties } from 'n8n-workflow';
import { optionsCollection, type Show, showFor, topicField, traceIdOption } from '../../../shared/descriptions';
import { templateFields } from './template-fields';

const idRecipients = [
	{ name: 'User IDs', value: 'userIds', description: 'CRM user IDs; the message goes to their linked messenger accounts' },
	{ name: 'Lead IDs', value: 'leadIds', description: 'Messenger contacts (leads) by their Metabot ID' },
];

const audienceRecipients = [
	{ name: 'Topics', value: 'topics', description: 'Everyone subscribed to one or several topics (one copy each), resolved by the backend whatever their number' },
	{ name: 'Segment', value: 'segment', description: 'Everyone a filter over the bot\'s people matches (attributes, profile, activity, topics)' },
];

/**
 * Who a message or a chat action goes to: Send To and Recipients (read back by `readRecipients`);
 * with `audiences` (Send) also topics minus exclusions, or a segment (read back by `readAudience`).
 */
export function recipientFields(operation: string, audiences = false): INodeProperties[] {
	const show = showFor('message', [operation]);
	return [
		{
			displayName: 'Send To',
			name: 'recipientType',
			type: 'options',
			options: audiences ? [...idRecipients, ...audienceRecipients] : idRecipients,
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
			displayOptions: { show: { ...show, recipientType: ['userIds', 'leadIds'] } },
		},
		...(audiences ? audienceFields(show) : []),
	];
}

/** Topics or a segment, and the people left out of either. */
function audienceFields(show: Show): INodeProperties[] {
	const either = { ...show, recipientType: ['topics', 'segment'] };
	return [
		topicField({ ...show, recipientType: ['topics'] }, { name: 'topics', multiple: true, description: 'Everyone in any of these topics gets one copy (a user member in the chat Channel picks)' }),
		{
			displayName: 'Segment Filter (JSON)',
			name: 'segmentFilter',
			type: 'json',
			required: true,
			default: '{\n  "match": "all",\n  "conditions": [\n    { "column": "attributes.region", "op": "eq", "value": "south" }\n  ]\n}',
			description:
				'The data tables\' filter over the bot\'s people: columns leadId, channel, userId, language, linked, reachable, state, lastActivityAt, createdAt, attributes.&lt;name&gt;, profile.&lt;name&gt;, topic.&lt;key&gt;. Turn on Preview Only to count whom it reaches first.',
			displayOptions: { show: { ...show, recipientType: ['segment'] } },
		},
		{
			displayName: 'Exclude User IDs',
			name: 'excludeUserIds',
			type: 'string',
			default: '',
			placeholder: '127, 128',
			description: 'CRM users left out (separated by commas, or an expression returning an array)',
			displayOptions: { show: either },
		},
		{
			displayName: 'Exclude Lead IDs',
			name: 'excludeLeadIds',
			type: 'string',
			default: '',
			placeholder: 'ld_3f2a, ld_9c1d',
			description: 'Leads left out (separated by commas, or an expression returning an array)',
			displayOptions: { show: either },
		},
	];
}

/** Recipients and what to say, shared by Send (which may also send to topics or a segment) and Send and Wait. */
export function messageFields(operation: string, audiences = false): INodeProperties[] {
	return [...recipientFields(operation, audiences), ...templateFields(operation)];
}

/** Edit and Delete: only some of the people a message reached (lead IDs), else all of them. */
export function onlyLeadsField(operation: string): INodeProperties {
	return {
		displayName: 'Only Lead IDs',
		name: 'onlyLeadIds',
		type: 'string',
		default: '',
		placeholder: 'lead_3f2a, lead_9c1d',
		description: 'Lead IDs separated by commas (or an expression returning an array) to act for only them; empty acts for every person the message reached, at most 100',
		displayOptions: { show: showFor('message', [operation]) },
	};
}

export function buttonsField(operation: string, extraShow: Show = {}): INodeProperties {
	return {
		displayName: 'Buttons',
		name: 'buttons',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Button',
		default: {},
		description: 'Buttons under the message; with a library template, buttons given here replace the template\'s',
		displayOptions: { show: showFor('message', [operation], extraShow) },
		options: [
			{
				displayName: 'Button',
				name: 'button',
				values: [
					{
						displayName: 'Text',
						name: 'text',
						type: 'string',
						default: '',
						description: 'Label shown on the button; like the text, {{ }} for workflow values and [[ ]] for each person\'s, e.g. Pay [[ params.amount ]]',
					},
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

/** The message a later operation acts on (Get Status, Cancel Message). */
export function messageIdField(displayOptions: INodeProperties['displayOptions']): INodeProperties {
	return { displayName: 'Message ID', name: 'messageId', type: 'string', required: true, default: '', description: 'The messageId returned by Send', displayOptions };
}

/** When a Send leaves and the name it can be cancelled by (backend: sendAt, delaySeconds, localTime, cancelKey). */
const scheduleOptions: Record<'cancelKey' | 'delaySeconds' | 'localTime' | 'sendAt', INodeProperties> = {
	cancelKey: {
		displayName: 'Cancel Key',
		name: 'cancelKey',
		type: 'string',
		default: '',
		placeholder: 'reminder:order:9821',
		description: 'A name to cancel this message by (Cancel Message → By Cancel Key) until it has left; unique per bot among messages not yet finished',
	},
	delaySeconds: {
		displayName: 'Delay (Seconds)',
		name: 'delaySeconds',
		type: 'number',
		typeOptions: { minValue: 0 },
		default: 0,
		description: 'Send this many seconds later (e.g. 86400 for a reminder in 24 hours); 0 sends now',
	},
	localTime: {
		displayName: 'Local Time',
		name: 'localTime',
		type: 'string',
		default: '',
		placeholder: '10:00',
		description: "Send at this time (HH:MM) in each person's time zone (their CRM profile's timeZone, else the bot's), the next time it comes — after the delay or Send At when given",
	},
	sendAt: {
		displayName: 'Send At',
		name: 'sendAt',
		type: 'string',
		default: '',
		placeholder: '2026-12-24T09:00:00+01:00',
		description: 'Send at this instant: ISO 8601 with Z or an offset (an expression such as {{ $now.plus({ hours: 24 }).toISO() }})',
	},
};

export function deliveryOptions(operation: string): INodeProperties {
	const scheduled = (name: keyof typeof scheduleOptions) => (operation === 'send' ? [scheduleOptions[name]] : []);
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
		...scheduled('cancelKey'),
		{
			displayName: 'Channel',
			name: 'channel',
			type: 'options',
			options: [
				{ name: 'All', value: 'all', description: 'Every linked messenger' },
				{ name: 'Last Active', value: 'last', description: 'The messenger the recipient used last' },
				{ name: 'Telegram', value: 'telegram', description: 'Only the recipient\'s Telegram chat' },
				{ name: 'VK', value: 'vk', description: 'Only the recipient\'s VK dialog' },
				{ name: 'Web Chat', value: 'webchat', description: 'Only the recipient\'s web chat' },
				{ name: 'WhatsApp', value: 'whatsapp', description: 'Only the recipient\'s WhatsApp chat' },
			],
			default: 'last',
		},
		{
			displayName: 'Critical',
			name: 'critical',
			type: 'boolean',
			default: false,
			description: 'Whether to deliver even to paused users and in the bot\'s quiet hours (e.g. security or payment notices)',
		},
		...scheduled('delaySeconds'),
		{
			displayName: 'File',
			name: 'mediaKind',
			type: 'options',
			options: [
				{ name: 'Animation (GIF or Silent MP4)', value: 'animation' },
				{ name: 'Audio', value: 'audio' },
				{ name: 'Document', value: 'document' },
				{ name: 'Photo', value: 'photo' },
				{ name: 'Video', value: 'video' },
				{ name: 'Voice Message', value: 'voice' },
			],
			default: 'document',
			description: 'A file sent with the message; the text becomes its caption (at most 1024 characters)',
		},
		{
			displayName: 'File From',
			name: 'mediaSource',
			type: 'options',
			options: [
				{ name: 'Binary Property of the Item', value: 'binary', description: 'Uploaded once, then reused for every recipient' },
				{ name: 'File ID', value: 'fileId', description: 'A Telegram file ID of this bot (from an event or an earlier send)' },
				{ name: 'URL', value: 'url', description: 'Telegram fetches it: up to 5 MB for a photo, 20 MB otherwise' },
			],
			default: 'binary',
		},
		{
			displayName: 'File Value',
			name: 'mediaValue',
			type: 'string',
			default: 'data',
			description: 'The binary property name (e.g. data), the file ID or the URL, as File From says. Give File From and File Value to send a file.',
		},
		{
			displayName: 'Idempotency Key',
			name: 'idempotencyKey',
			type: 'string',
			default: '',
			description: 'Sends with the same key go out once; repeats get the first answer back',
		},
		{ displayName: 'Image URL', name: 'imageUrl', type: 'string', default: '', description: 'Picture sent with the text' },
		...scheduled('localTime'),
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
			displayName: 'Preview For',
			name: 'previewFor',
			type: 'string',
			default: '',
			placeholder: '127',
			description: 'With Preview Only: one user ID or lead ID (as in Send To) to preview the message for, instead of the first 3 recipients; need not be a recipient',
		},
		{
			displayName: 'Preview Only (Dry Run)',
			name: 'dryRun',
			type: 'boolean',
			default: false,
			description: 'Whether to send nothing and output the message as people would get it: one item per person previewed, with the placeholders that have no value for them',
		},
		{
			displayName: 'Quick Replies',
			name: 'quickReplies',
			type: 'string',
			typeOptions: { rows: 3 },
			default: '',
			description: 'Answers offered under the message, one per line: a reply keyboard in Telegram, chips in the web chat. A tap sends the text as the person\'s message. Not together with buttons.',
		},
		...scheduled('sendAt'),
		{
			displayName: 'Template Parameters (JSON)',
			name: 'params',
			type: 'json',
			default: '{}',
			description: 'Values the text uses as [[ params.x ]]: a safe place for text from outside (what a person typed), which is never read as a placeholder',
		},
		traceIdOption,
	]);
}
