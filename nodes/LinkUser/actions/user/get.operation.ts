import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('user', ['get']);

export const description: INodeProperties[] = [
	{
		displayName: 'Find By',
		name: 'findBy',
		type: 'options',
		options: [
			{ name: 'User ID', value: 'userId', description: 'The CRM user with all their leads' },
			{ name: 'Lead ID', value: 'leadId', description: 'One messenger contact' },
			{ name: 'Phone', value: 'phone', description: 'Leads that shared this phone number (any format)' },
			{ name: 'Email', value: 'email', description: 'Leads with this email' },
		],
		default: 'userId',
		displayOptions: { show },
	},
	{
		displayName: 'Value',
		name: 'lookup',
		type: 'string',
		required: true,
		default: '',
		placeholder: '127',
		description: 'The user ID, lead ID, phone number or email to look for',
		displayOptions: { show },
	},
	{
		displayName: 'Include Conversation',
		name: 'includeConversation',
		type: 'boolean',
		default: true,
		description: 'Whether to add the lead\'s conversation (who owns the dialog, session ID, context) as `conversation` (needs the conversations scope)',
		displayOptions: { show: { ...show, findBy: ['leadId'] } },
	},
];

/** One item for a user or a lead; one item per lead found by phone or email. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[]> {
	const findBy = this.getNodeParameter('findBy', itemIndex) as string;
	const lookup = String(this.getNodeParameter('lookup', itemIndex)).trim();
	if (findBy === 'leadId') {
		const answer = await metabotApiRequest(this, { operation: 'getLead', method: 'GET', path: `/leads/${encodeURIComponent(lookup)}`, itemIndex });
		if (!this.getNodeParameter('includeConversation', itemIndex, true)) return answer.lead as IDataObject;
		const conversation = await metabotApiRequest(this, { operation: 'getConversation', method: 'GET', path: `/leads/${encodeURIComponent(lookup)}/conversation`, itemIndex });
		return { ...(answer.lead as IDataObject), conversation: conversation.conversation as IDataObject };
	}
	if (findBy === 'phone' || findBy === 'email') {
		const answer = await metabotApiRequest(this, { operation: 'findLeads', method: 'GET', path: '/leads', qs: { [findBy]: lookup }, itemIndex });
		return answer.leads as IDataObject[];
	}
	const answer = await metabotApiRequest(this, { operation: 'getUser', method: 'GET', path: `/users/${encodeURIComponent(lookup)}`, itemIndex });
	return answer.user as IDataObject;
}
