import type {
	IExecuteFunctions,
	INodeExecutionData,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
} from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { executePerItem, type ItemOperation } from '../shared/execute';
import { getAliases } from '../shared/loadOptions';
import * as endpoint from './actions/endpoint';
import * as message from './actions/message';

const operations: Record<string, Record<string, ItemOperation>> = {
	endpoint: endpoint.operations,
	message: message.operations,
};

// The only webhook is Send and Wait's resume webhook (restartWebhook): n8n never registers it on
// activation, so there is no webhook lifecycle (checkExists/create/delete) to implement.
// eslint-disable-next-line @n8n/community-nodes/webhook-lifecycle-complete
export class CallCommunication implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Call Communication',
		name: 'callCommunication',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Start Metabot communications and send messenger messages, optionally waiting for the reply',
		defaults: { name: 'Call Communication' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: '',
				restartWebhook: true,
				isFullPath: true,
			},
		],
		properties: [
			{
				displayName: 'Resource',
				name: 'resource',
				type: 'options',
				noDataExpression: true,
				options: [
					{ name: 'Endpoint', value: 'endpoint' },
					{ name: 'Message', value: 'message' },
				],
				default: 'endpoint',
			},
			...endpoint.description,
			...message.description,
		],
	};

	methods = { loadOptions: { getAliases } };

	webhook = async function (this: IWebhookFunctions): Promise<IWebhookResponseData> {
		return await message.sendAndWait.webhook.call(this);
	};

	async execute(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
		const resource = this.getNodeParameter('resource', 0) as string;
		const operation = this.getNodeParameter('operation', 0) as string;
		if (resource === 'message' && operation === 'sendAndWait') {
			return [await message.sendAndWait.execute.call(this)];
		}
		return [await executePerItem.call(this, operations[resource][operation])];
	}
}
