import type { IExecuteFunctions, INodeType, INodeTypeDescription, IWebhookFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { resourceProperty } from '../shared/descriptions';
import * as analytics from './actions/analytics';
import * as conversation from './actions/conversation';
import * as endpoint from './actions/endpoint';
import * as message from './actions/message';
import { router } from './actions/router';
import { loadOptions } from './methods';

export class CallCommunication implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Call Communication',
		name: 'callCommunication',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['output'],
		version: 1,
		subtitle: '={{$parameter["operation"] + ": " + $parameter["resource"]}}',
		description: 'Start Metabot communications, send messenger messages (optionally waiting for the reply), and read their analytics',
		defaults: { name: 'Call Communication' },
		usableAsTool: true,
		inputs: [NodeConnectionTypes.Main],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		webhooks: message.sendAndWait.resumeWebhooks,
		properties: [
			resourceProperty([{ name: 'Analytics', value: 'analytics' }, { name: 'Conversation', value: 'conversation' }, { name: 'Endpoint', value: 'endpoint' }, { name: 'Message', value: 'message' }], 'endpoint'),
			...endpoint.description,
			...message.description,
			...analytics.description,
			...conversation.description,
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
