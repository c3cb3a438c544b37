import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { ItemOperation } from '../../shared/execute';
import { metabotApiRequest } from '../../shared/transport';

const show = (operation: string[]) => ({ show: { resource: ['link'], operation } });

export const description: INodeProperties[] = [
	{
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: ['link'] } },
		options: [
			{
				name: 'Create Link Token',
				value: 'createToken',
				action: 'Create a link token',
				description: 'One-time deep link the CRM user opens to connect their messenger',
			},
			{ name: 'Link', value: 'link', action: 'Link a user to a lead', description: 'Connect a CRM user to a known lead directly' },
			{ name: 'Unlink', value: 'unlink', action: 'Unlink a user', description: 'Disconnect a CRM user from one lead or from all' },
		],
		default: 'createToken',
	},
	{
		displayName: 'User ID',
		name: 'userId',
		type: 'string',
		required: true,
		default: '',
		description: 'The user\'s ID in the CRM',
		displayOptions: show(['createToken', 'link', 'unlink']),
	},
	{
		displayName: 'Lead ID',
		name: 'leadId',
		type: 'string',
		required: true,
		default: '',
		description: 'The messenger contact (ld_…) to link',
		displayOptions: show(['link']),
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: show(['createToken']),
		options: [
			{
				displayName: 'Valid For (Seconds)',
				name: 'ttlSeconds',
				type: 'number',
				typeOptions: { minValue: 60 },
				default: 86400,
				description: 'How long the link works',
			},
		],
	},
	{
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: show(['unlink']),
		options: [
			{
				displayName: 'Lead ID',
				name: 'leadId',
				type: 'string',
				default: '',
				description: 'Only this lead; empty unlinks every lead of the user',
			},
		],
	},
];

async function createToken(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: IDataObject = { userId: String(this.getNodeParameter('userId', itemIndex)) };
	if (options.ttlSeconds) body.ttlSeconds = options.ttlSeconds;
	return await metabotApiRequest.call(this, { method: 'POST', path: '/link-tokens', body, itemIndex });
}

async function link(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body: IDataObject = {
		userId: String(this.getNodeParameter('userId', itemIndex)),
		leadId: this.getNodeParameter('leadId', itemIndex),
	};
	const answer = await metabotApiRequest.call(this, { method: 'POST', path: '/links', body, itemIndex });
	return { ...(answer.link as IDataObject), trace_id: answer.trace_id };
}

async function unlink(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: IDataObject = { userId: String(this.getNodeParameter('userId', itemIndex)) };
	if (options.leadId) body.leadId = options.leadId;
	return await metabotApiRequest.call(this, { method: 'DELETE', path: '/links', body, itemIndex });
}

export const operations: Record<string, ItemOperation> = { createToken, link, unlink };
