import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';
import { recipientFields } from './fields';
import { readRecipients } from './request';

type ChatAction = NonNullable<ApiBody<'sendChatAction'>['action']>;

export const description: INodeProperties[] = [
	...recipientFields('sendTyping'),
	{
		displayName: 'Action',
		name: 'chatAction',
		type: 'options',
		options: [
			{ name: 'Finding a Location', value: 'find_location' },
			{ name: 'Recording a Video', value: 'record_video' },
			{ name: 'Recording a Voice Message', value: 'record_voice' },
			{ name: 'Sending a Document', value: 'upload_document' },
			{ name: 'Sending a Photo', value: 'upload_photo' },
			{ name: 'Sending a Video', value: 'upload_video' },
			{ name: 'Sending a Voice Message', value: 'upload_voice' },
			{ name: 'Typing', value: 'typing' },
		],
		default: 'typing',
		description: 'What the chat shows for about 5 seconds, or until the bot\'s next message',
		displayOptions: { show: showFor('message', ['sendTyping']) },
	},
];

/** Shows "typing…" (or another action) in the people's chats while the workflow works. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const action = this.getNodeParameter('chatAction', itemIndex, 'typing') as ChatAction;
	const body: ApiBody<'sendChatAction'> = { ...readRecipients.call(this, itemIndex), action };
	return await metabotApiRequest(this, { operation: 'sendChatAction', method: 'POST', path: '/chat-actions', body, itemIndex });
}
