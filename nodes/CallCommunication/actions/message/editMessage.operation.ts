import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { toIdList } from '../../../shared/parameters';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';
import { buttonsField, messageIdField, onlyLeadsField } from './fields';
import { buttonRows } from './request';

const show = showFor('message', ['editMessage']);

export const description: INodeProperties[] = [
	messageIdField({ show }),
	{
		displayName: 'New Text',
		name: 'editText',
		type: 'string',
		typeOptions: { rows: 4 },
		default: '',
		description: 'The new text (or caption, for a message with a file); empty keeps the text and changes only the buttons. Sent as written: no placeholders.',
		displayOptions: { show },
	},
	{
		displayName: 'Parse Mode',
		name: 'editParseMode',
		type: 'options',
		options: [
			{ name: 'Plain Text', value: '' },
			{ name: 'HTML', value: 'HTML' },
			{ name: 'MarkdownV2', value: 'MarkdownV2' },
		],
		default: '',
		displayOptions: { show },
	},
	{ ...buttonsField('editMessage'), description: 'The new buttons under the message; none given keeps them as they are' },
	onlyLeadsField('editMessage'),
];

/** Edits the text or buttons of a sent message for every person it reached (or only some): one result per person. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const messageId = String(this.getNodeParameter('messageId', itemIndex)).trim();
	if (!messageId) throw new NodeOperationError(this.getNode(), 'No Message ID given', { itemIndex });
	const text = String(this.getNodeParameter('editText', itemIndex, ''));
	const buttons = buttonRows(this.getNodeParameter('buttons', itemIndex, {}));
	if (text.trim() === '' && buttons.length === 0) throw new NodeOperationError(this.getNode(), 'Give a New Text or Buttons', { itemIndex });
	const body: ApiBody<'editMessage'> = {};
	if (text.trim() !== '') body.text = text;
	const parseMode = this.getNodeParameter('editParseMode', itemIndex, '') as string;
	if (parseMode) body.parseMode = parseMode as NonNullable<ApiBody<'editMessage'>['parseMode']>;
	if (buttons.length > 0) body.buttons = buttons;
	const leadIds = toIdList(this.getNodeParameter('onlyLeadIds', itemIndex, ''));
	if (leadIds.length > 0) body.leadIds = leadIds;
	const path = `/messages/${encodeURIComponent(messageId)}/edit`;
	return await metabotApiRequest(this, { operation: 'editMessage', method: 'POST', path, body, itemIndex });
}
