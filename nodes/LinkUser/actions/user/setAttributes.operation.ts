import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type FieldsOrJsonBlock, fieldsOrJson, showFor } from '../../../shared/descriptions';
import { readFieldsOrJson } from '../../../shared/parameters';
import { metabotApiRequest } from '../../../shared/transport';
import { userIdField } from '../fields';

const show = showFor('user', ['setAttributes']);

const attributesBlock: FieldsOrJsonBlock = {
	name: 'attributes',
	label: 'Attributes',
	fieldsDescription: 'Values merged into the lead\'s attributes; an empty JSON null removes a key',
	jsonDescription: 'Values merged into the lead\'s attributes; null removes a key',
};

export const description: INodeProperties[] = [
	{
		displayName: 'Target',
		name: 'target',
		type: 'options',
		options: [
			{ name: 'Lead', value: 'lead', description: 'One messenger contact' },
			{ name: 'All Leads of a User', value: 'user', description: 'Every messenger contact linked to a CRM user' },
		],
		default: 'lead',
		displayOptions: { show },
	},
	{
		displayName: 'Lead ID',
		name: 'leadId',
		type: 'string',
		required: true,
		default: '',
		displayOptions: { show: { ...show, target: ['lead'] } },
	},
	userIdField({ ...show, target: ['user'] }, 'attributesUserId'),
	...fieldsOrJson(show, attributesBlock),
];

/** The one lead, or every lead linked to the user. */
async function targetLeadIds(this: IExecuteFunctions, itemIndex: number): Promise<string[]> {
	if (this.getNodeParameter('target', itemIndex) !== 'user') return [String(this.getNodeParameter('leadId', itemIndex))];
	const userId = String(this.getNodeParameter('attributesUserId', itemIndex));
	const answer = await metabotApiRequest(this, { operation: 'getUser', method: 'GET', path: `/users/${encodeURIComponent(userId)}`, itemIndex });
	return (((answer.user as IDataObject).leads as IDataObject[]) ?? []).map((lead) => String(lead.id));
}

/** One output item per lead changed, with its attributes as they are now. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const attributes = readFieldsOrJson.call(this, attributesBlock, itemIndex);
	const leads: IDataObject[] = [];
	for (const leadId of await targetLeadIds.call(this, itemIndex)) {
		const answer = await metabotApiRequest(this, {
			operation: 'setLeadAttributes',
			method: 'PATCH',
			path: `/leads/${encodeURIComponent(leadId)}/attributes`,
			body: { attributes },
			itemIndex,
		});
		leads.push(answer.lead as IDataObject);
	}
	return leads;
}
