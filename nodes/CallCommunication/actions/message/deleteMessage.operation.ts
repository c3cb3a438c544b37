import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { toIdList } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';
import { messageIdField, onlyLeadsField } from './fields';

export const description: INodeProperties[] = [messageIdField({ show: showFor('message', ['deleteMessage']) }), onlyLeadsField('deleteMessage')];

/** Deletes a sent message (every message of an album) in the chats it reached, or only some: one result per person. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const messageId = String(this.getNodeParameter('messageId', itemIndex)).trim();
	if (!messageId) throw new NodeOperationError(this.getNode(), 'No Message ID given', { itemIndex });
	const leadIds = toIdList(this.getNodeParameter('onlyLeadIds', itemIndex, ''));
	const path = `/messages/${encodeURIComponent(messageId)}/delete`;
	return await metabotApiRequest(this, { operation: 'deleteMessage', method: 'POST', path, body: leadIds.length > 0 ? { leadIds } : {}, itemIndex });
}
