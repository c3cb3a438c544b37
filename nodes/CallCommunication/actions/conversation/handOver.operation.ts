import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';
import { conversationLeadField } from './fields';

const show = showFor('conversation', ['handOver']);

export const description: INodeProperties[] = [
	conversationLeadField(show),
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'string',
		default: '',
		placeholder: 'Refund over 100 EUR',
		description: 'What the operator should know first',
		displayOptions: { show },
	},
	{
		displayName: 'Team',
		name: 'team',
		type: 'string',
		default: '',
		placeholder: 'billing',
		description: 'The operators\' queue it goes to (empty: any)',
		displayOptions: { show },
	},
	{
		displayName: 'Priority',
		name: 'priority',
		type: 'options',
		options: [
			{ name: 'Low', value: 'low' },
			{ name: 'Normal', value: 'normal' },
			{ name: 'High', value: 'high' },
			{ name: 'Urgent', value: 'urgent' },
		],
		default: 'normal',
		displayOptions: { show },
	},
];

/** The conversation as it is now: `waiting`; no workflow gets the person's messages until it is returned. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const leadId = String(this.getNodeParameter('conversationLeadId', itemIndex)).trim();
	const reason = String(this.getNodeParameter('reason', itemIndex, '')).trim();
	const team = String(this.getNodeParameter('team', itemIndex, '')).trim();
	const priority = this.getNodeParameter('priority', itemIndex) as 'low' | 'normal' | 'high' | 'urgent';
	const answer = await metabotApiRequest(this, {
		operation: 'handOverConversation',
		method: 'POST',
		path: `/leads/${encodeURIComponent(leadId)}/conversation/handover`,
		body: { priority, ...(reason ? { reason } : {}), ...(team ? { team } : {}) },
		itemIndex,
	});
	return answer.conversation as IDataObject;
}
