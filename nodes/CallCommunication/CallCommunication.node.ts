import type { IExecuteFunctions, INodeType, INodeTypeDescription, IWebhookFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { resourceProperty } from '../shared/descriptions';
import * as endpoint from './actions/endpoint';
import * as message from './actions/message';
import { router } from './actions/router';
import { loadOptions } from './methods';

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
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: 'onReceived', path: '', restartWebhook: true, isFullPath: true }],
		properties: [
			resourceProperty([{ name: 'Endpoint', value: 'endpoint' }, { name: 'Message', value: 'message' }], 'endpoint'),
			...endpoint.description,
			...message.description,
		],
	};

	methods = { loadOptions };

	webhook = async function (this: IWebhookFunctions) {
		return await message.sendAndWait.webhook.call(this);
	};

	async execute(this: IExecuteFunctions) {
		return await router.call(this);
	}
}
