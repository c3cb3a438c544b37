import type { IExecuteFunctions, INodeExecutionData, INodeType, INodeTypeDescription } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { executePerItem } from '../shared/execute';
import * as link from './actions/link';
import * as user from './actions/user';

const operations = { link: link.operations, user: user.operations };

export class LinkUser implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Link User',
		name: 'linkUser',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['transform'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Connect CRM users to their messenger contacts and manage them: pause, block, attributes',
		defaults: { name: 'Link User' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Link', value: 'link' },
					{ name: 'User', value: 'user' },
				],
				default: 'link',
			},
			...link.description,
			...user.description,
		],
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resource = this.getNodeParameter('resource', 0) as keyof typeof operations;
		const operation = this.getNodeParameter('operation', 0) as string;
		return [await executePerItem.call(this, operations[resource][operation])];
	}
}
