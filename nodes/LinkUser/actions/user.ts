import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { assignmentsToObject, parseJsonParameter, type ItemOperation } from '../../shared/execute';
import { metabotApiRequest } from '../../shared/transport';

const show = (operation: string[], extra: IDataObject = {}) => ({ show: { resource: ['user'], operation, ...extra } });
const stateChanges = ['pause', 'resume', 'block', 'unblock', 'disconnect', 'delete'];

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['user'] } },
		options: [
			{ name: 'Block', value: 'block', action: 'Block a user', description: 'Stop every message to the user until unblocked' },
			{ name: 'Delete', value: 'delete', action: 'Delete a user', description: 'Forget the user and unlink their leads' },
			{
				name: 'Disconnect',
				value: 'disconnect',
				action: 'Disconnect a user',
				description: 'De-authorise the user in the bot: their leads are unlinked until they sign in again',
			},
			{ name: 'Get', value: 'get', action: 'Get a user or leads', description: 'Find by user ID, lead ID, phone or email' },
			{ name: 'Pause', value: 'pause', action: 'Pause a user', description: 'Hold non-critical messages until a date' },
			{ name: 'Resume', value: 'resume', action: 'Resume a user', description: 'End a pause' },
			{ name: 'Set Attributes', value: 'setAttributes', action: 'Set lead attributes', description: 'Store values on a lead for message templates' },
			{ name: 'Unblock', value: 'unblock', action: 'Unblock a user', description: 'Allow messages again' },
			{ name: 'Update', value: 'update', action: 'Update a user', description: 'Store the CRM user\'s changed data; workflows get a User Updated event with what changed' },
		],
		default: 'get',
	},
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
		displayOptions: show(['get']),
	},
	{
		displayName: 'Value',
		name: 'lookup',
		type: 'string',
		required: true,
		default: '',
		placeholder: '127',
		description: 'The user ID, lead ID, phone number or email to look for',
		displayOptions: show(['get']),
	},
	{
		displayName: 'User ID',
		name: 'userId',
		type: 'string',
		required: true,
		default: '',
		description: 'The user\'s ID in the CRM',
		displayOptions: show([...stateChanges, 'update']),
	},
	{
		displayName: 'Fields (JSON)',
		name: 'updateFields',
		type: 'json',
		required: true,
		default: '{}',
		description: 'The user\'s data as the CRM has it now, e.g. the params of a users/update call; only values that differ from the stored ones count as changed',
		displayOptions: show(['update']),
	},
	{
		displayName: 'Origin ID',
		name: 'originId',
		type: 'string',
		default: '',
		description: 'Where in the CRM the change was made (seed 004\'s event ID), passed on in the User Updated event',
		displayOptions: show(['update']),
	},
	{
		displayName: 'Pause Until',
		name: 'until',
		type: 'dateTime',
		required: true,
		default: '',
		description: 'Non-critical messages are held until then',
		displayOptions: show(['pause']),
	},
	{
		displayName: 'Reason',
		name: 'reason',
		type: 'string',
		default: '',
		description: 'Why the user is blocked (kept for the team)',
		displayOptions: show(['block']),
	},
	{
		displayName: 'Notify User',
		name: 'notify',
		type: 'boolean',
		default: false,
		description: 'Whether to tell the user in the messenger',
		displayOptions: show(stateChanges),
	},
	{
		displayName: 'Target',
		name: 'target',
		type: 'options',
		options: [
			{ name: 'Lead', value: 'lead', description: 'One messenger contact' },
			{ name: 'All Leads of a User', value: 'user', description: 'Every messenger contact linked to a CRM user' },
		],
		default: 'lead',
		displayOptions: show(['setAttributes']),
	},
	{
		displayName: 'Lead ID',
		name: 'leadId',
		type: 'string',
		required: true,
		default: '',
		displayOptions: show(['setAttributes'], { target: ['lead'] }),
	},
	{
		displayName: 'User ID',
		name: 'attributesUserId',
		type: 'string',
		required: true,
		default: '',
		description: 'The user\'s ID in the CRM',
		displayOptions: show(['setAttributes'], { target: ['user'] }),
	},
	{
		displayName: 'Attributes Input',
		name: 'attributesMode',
		type: 'options',
		options: [
			{ name: 'Fields', value: 'fields' },
			{ name: 'JSON', value: 'json' },
		],
		default: 'fields',
		displayOptions: show(['setAttributes']),
	},
	{
		displayName: 'Attributes',
		name: 'attributesFields',
		type: 'assignmentCollection',
		default: {},
		description: 'Values merged into the lead\'s attributes; an empty JSON null removes a key',
		displayOptions: show(['setAttributes'], { attributesMode: ['fields'] }),
	},
	{
		displayName: 'Attributes (JSON)',
		name: 'attributesJson',
		type: 'json',
		default: '{}',
		description: 'Values merged into the lead\'s attributes; null removes a key',
		displayOptions: show(['setAttributes'], { attributesMode: ['json'] }),
	},
];

async function get(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[]> {
	const findBy = this.getNodeParameter('findBy', itemIndex) as string;
	const lookup = String(this.getNodeParameter('lookup', itemIndex)).trim();
	if (findBy === 'leadId') {
		const answer = await metabotApiRequest.call(this, { method: 'GET', path: `/leads/${encodeURIComponent(lookup)}`, itemIndex });
		return answer.lead as IDataObject;
	}
	if (findBy === 'phone' || findBy === 'email') {
		const answer = await metabotApiRequest.call(this, { method: 'GET', path: '/leads', qs: { [findBy]: lookup }, itemIndex });
		return answer.leads as IDataObject[];
	}
	const answer = await metabotApiRequest.call(this, { method: 'GET', path: `/users/${encodeURIComponent(lookup)}`, itemIndex });
	return answer.user as IDataObject;
}

function changeState(action: string): ItemOperation {
	return async function (this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
		const userId = String(this.getNodeParameter('userId', itemIndex));
		const body: IDataObject = { notify: this.getNodeParameter('notify', itemIndex, false) };
		if (action === 'pause') body.until = new Date(this.getNodeParameter('until', itemIndex) as string).toISOString();
		if (action === 'block') body.reason = this.getNodeParameter('reason', itemIndex, '') || undefined;
		const answer = await metabotApiRequest.call(this, {
			method: 'POST',
			path: `/users/${encodeURIComponent(userId)}/${action}`,
			body,
			itemIndex,
		});
		return answer.user as IDataObject;
	};
}

async function update(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const userId = String(this.getNodeParameter('userId', itemIndex));
	const fields = parseJsonParameter(this.getNode(), this.getNodeParameter('updateFields', itemIndex), 'Fields (JSON)', itemIndex);
	const originId = String(this.getNodeParameter('originId', itemIndex, '')).trim();
	const answer = await metabotApiRequest.call(this, {
		method: 'POST',
		path: `/users/${encodeURIComponent(userId)}/update`,
		body: { fields, ...(originId ? { originId } : {}) },
		itemIndex,
	});
	return { ...(answer.user as IDataObject), changed: answer.changed };
}

async function setAttributes(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[]> {
	const mode = this.getNodeParameter('attributesMode', itemIndex) as string;
	const attributes =
		mode === 'json'
			? parseJsonParameter(this.getNode(), this.getNodeParameter('attributesJson', itemIndex), 'Attributes (JSON)', itemIndex)
			: assignmentsToObject(this.getNodeParameter('attributesFields', itemIndex, {}));
	const target = this.getNodeParameter('target', itemIndex) as string;
	let leadIds: string[];
	if (target === 'user') {
		const userId = String(this.getNodeParameter('attributesUserId', itemIndex));
		const answer = await metabotApiRequest.call(this, { method: 'GET', path: `/users/${encodeURIComponent(userId)}`, itemIndex });
		leadIds = (((answer.user as IDataObject).leads as IDataObject[]) ?? []).map((lead) => String(lead.id));
	} else {
		leadIds = [String(this.getNodeParameter('leadId', itemIndex))];
	}
	const leads: IDataObject[] = [];
	for (const leadId of leadIds) {
		const answer = await metabotApiRequest.call(this, {
			method: 'PATCH',
			path: `/leads/${encodeURIComponent(leadId)}/attributes`,
			body: { attributes },
			itemIndex,
		});
		leads.push(answer.lead as IDataObject);
	}
	return leads;
}

export const operations: Record<string, ItemOperation> = {
	get,
	pause: changeState('pause'),
	resume: changeState('resume'),
	block: changeState('block'),
	unblock: changeState('unblock'),
	disconnect: changeState('disconnect'),
	delete: changeState('delete'),
	setAttributes,
	update,
};
