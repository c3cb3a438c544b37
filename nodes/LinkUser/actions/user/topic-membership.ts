import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor, topicField } from '../../../shared/descriptions';
import { toIdList } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';

/** Subscribe and Unsubscribe: which topic, and whom (CRM users, reached through their linked chats, or leads). */
export function membershipFields(operation: 'subscribe' | 'unsubscribe'): INodeProperties[] {
	const show = showFor('user', [operation]);
	return [
		topicField(show, {
			name: 'topic',
			multiple: false,
			description: operation === 'subscribe' ? 'The topic to add the people to (e.g. family-news)' : 'The topic to take the people out of',
		}),
		{
			displayName: 'Members Are',
			name: 'memberType',
			type: 'options',
			options: [
				{ name: 'User IDs', value: 'userIds', description: 'CRM users: a send to the topic reaches their linked chats' },
				{ name: 'Lead IDs', value: 'leadIds', description: 'Messenger contacts (that chat only)' },
			],
			default: 'userIds',
			displayOptions: { show },
		},
		{
			displayName: 'Member IDs',
			name: 'memberIds',
			type: 'string',
			required: true,
			default: '',
			placeholder: '127, 128',
			description: 'IDs separated by commas, or an expression returning an array (at most 1,000)',
			displayOptions: { show },
		},
	];
}

/** The backend's answer: `changed` (one already in, or already out, is not counted) and `unknown` lead IDs. */
export function membershipChange(operation: 'subscribe' | 'unsubscribe') {
	return async function (this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
		const topic = String(this.getNodeParameter('topic', itemIndex)).trim();
		const memberType = this.getNodeParameter('memberType', itemIndex) as 'userIds' | 'leadIds';
		const ids = toIdList(this.getNodeParameter('memberIds', itemIndex));
		if (!topic) throw new NodeOperationError(this.getNode(), 'No topic given', { itemIndex });
		if (ids.length === 0) throw new NodeOperationError(this.getNode(), 'No member IDs given', { itemIndex });
		const answer = await metabotApiRequest(this, {
			operation: operation === 'subscribe' ? 'subscribeToTopic' : 'unsubscribeFromTopic',
			method: 'POST',
			path: `/topics/${encodeURIComponent(topic)}/${operation}`,
			body: { [memberType]: ids },
			itemIndex,
		});
		return { topic, ...answer };
	};
}
