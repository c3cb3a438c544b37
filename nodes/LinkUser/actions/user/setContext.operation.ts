import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type FieldsOrJsonBlock, fieldsOrJson, showFor } from '../../../shared/descriptions';
import { readFieldsOrJson } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('user', ['setContext']);

const contextBlock: FieldsOrJsonBlock = {
	name: 'context',
	label: 'Context',
	fieldsDescription: 'Session variables merged into the conversation\'s context; an empty JSON null removes a key',
	jsonDescription: 'Session variables merged into the conversation\'s context; null removes a key',
};

export const description: INodeProperties[] = [
	{
		displayName: 'Lead ID',
		name: 'contextLeadId',
		type: 'string',
		required: true,
		default: '={{ $json.lead?.id }}',
		description: 'The person\'s lead; a linked person\'s chats share one conversation',
		displayOptions: { show },
	},
	...fieldsOrJson(show, contextBlock),
	{
		displayName: 'Replace Context',
		name: 'replaceContext',
		type: 'boolean',
		default: false,
		description: 'Whether to replace the whole context instead of merging into it',
		displayOptions: { show },
	},
];

/** The conversation with its context as it is now (kept apart from the lead's attributes; cleared when the conversation is closed). */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const leadId = String(this.getNodeParameter('contextLeadId', itemIndex)).trim();
	const context = readFieldsOrJson.call(this, contextBlock, itemIndex);
	const replace = this.getNodeParameter('replaceContext', itemIndex, false) as boolean;
	const answer = await metabotApiRequest(this, {
		operation: 'setConversationContext',
		method: 'PATCH',
		path: `/leads/${encodeURIComponent(leadId)}/conversation/context`,
		body: { context, replace },
		itemIndex,
	});
	return answer.conversation as IDataObject;
}
