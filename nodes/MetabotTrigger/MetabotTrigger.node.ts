import type { INodeType, INodeTypeDescription, IWebhookFunctions } from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { loadOptions } from './methods';
import { triggerProperties } from './properties';
import { subscriptionLifecycle } from './subscription';
import { receiveEvent } from './webhook';

export class MetabotTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Metabot Trigger',
		name: 'metabotTrigger',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['trigger'],
		version: 1,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description: 'Starts the workflow on Metabot events: messages, buttons, contacts, links, CRM endpoint calls',
		defaults: { name: 'Metabot Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', responseMode: '={{$parameter["responseMode"]}}', path: 'webhook' }],
		properties: triggerProperties,
	};

	methods = { loadOptions };

	webhookMethods = { default: subscriptionLifecycle };

	async webhook(this: IWebhookFunctions) {
		return await receiveEvent.call(this);
	}
}
