import type { INodeType, INodeTypeDescription, IWebhookDescription, IWebhookFunctions } from 'n8n-workflow';
import * as n8nWorkflow from 'n8n-workflow';
import { NodeConnectionTypes } from 'n8n-workflow';
import { loadOptions } from './methods';
import { triggerProperties } from './properties';
import { subscriptionLifecycle } from './subscription';
import { receiveEvent } from './webhook';

/**
 * The webhook answers as the Respond parameter says. Declared with n8n's own resolver where n8n has
 * one: n8n then reads the parameter instead of evaluating the expression in its sandbox on every
 * event (a few ms of n8n's CPU each); n8n versions without it evaluate the same template.
 */
function responseModeField(): Pick<IWebhookDescription, 'responseMode'> {
	const { fromParameter, webhookDescriptionFields } = n8nWorkflow as Partial<typeof n8nWorkflow>;
	if (!fromParameter || !webhookDescriptionFields) return { responseMode: '={{$parameter["responseMode"] || "onReceived"}}' };
	return webhookDescriptionFields({ responseMode: fromParameter('responseMode', 'onReceived') });
}

export class MetabotTrigger implements INodeType {
	description: INodeTypeDescription = {
		displayName: 'Metabot Trigger',
		name: 'metabotTrigger',
		icon: { light: 'file:metabot.svg', dark: 'file:metabot.dark.svg' },
		group: ['trigger'],
		// Version 2 is the same trigger: n8n reads a version-1 trigger's request body through an
		// expression (its old Webhook node's binary option), one sandbox evaluation per event.
		version: [1, 2],
		defaultVersion: 2,
		subtitle: '={{$parameter["events"].join(", ")}}',
		description: 'Starts the workflow on Metabot events: messages, buttons, contacts, links, CRM endpoint calls',
		defaults: { name: 'Metabot Trigger' },
		inputs: [],
		outputs: [NodeConnectionTypes.Main],
		credentials: [{ name: 'metabotApi', required: true }],
		webhooks: [{ name: 'default', httpMethod: 'POST', path: 'webhook', ...responseModeField() }],
		properties: triggerProperties,
	};

	methods = { loadOptions };

	webhookMethods = { default: subscriptionLifecycle };

	async webhook(this: IWebhookFunctions) {
		return await receiveEvent.call(this);
	}
}
