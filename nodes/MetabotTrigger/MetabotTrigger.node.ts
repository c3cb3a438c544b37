import type {
	IDataObject,
	IHookFunctions,
	INodeType,
	INodeTypeDescription,
	IWebhookFunctions,
	IWebhookResponseData,
	JsonObject,
} from 'n8n-workflow';
import { NodeApiError, NodeConnectionTypes } from 'n8n-workflow';
import { getAliases } from '../shared/loadOptions';
import { metabotApiRequest } from '../shared/transport';
import { eventOptions } from './events';
import { eventToItem } from './output';
import { verifySignature } from './signature';

interface SubscriptionState {
	subscriptionId?: string;
	secret?: string;
}

function isNotFound(error: unknown): boolean {
	return (error as { httpCode?: string | null }).httpCode === '404';
}

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
		webhooks: [
			{
				name: 'default',
				httpMethod: 'POST',
				responseMode: 'onReceived',
				path: 'webhook',
			},
		],
		properties: [
			{
				displayName: 'Trigger On',
				name: 'events',
				type: 'multiOptions',
				options: eventOptions,
				required: true,
				default: [],
				description: 'The events that start the workflow',
			},
			{
				displayName: 'Alias Names or IDs',
				name: 'aliases',
				type: 'multiOptions',
				typeOptions: { loadOptionsMethod: 'getAliases' },
				default: [],
				description:
					'Only endpoint calls to these aliases (globs like order/* work in an expression). Empty: every alias. Choose from the list, or specify IDs using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
				displayOptions: { show: { events: ['endpoint.called', '*'] } },
			},
		],
	};

	methods = { loadOptions: { getAliases } };

	webhookMethods = {
		default: {
			async checkExists(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as SubscriptionState;
				if (!state.subscriptionId) return false;
				try {
					const answer = await metabotApiRequest.call(this, {
						method: 'GET',
						path: `/subscriptions/${encodeURIComponent(state.subscriptionId)}`,
					});
					const subscription = answer.subscription as IDataObject;
					if (subscription.url === this.getNodeWebhookUrl('default')) return true;
				} catch (error) {
					if (!isNotFound(error)) throw new NodeApiError(this.getNode(), error as JsonObject);
				}
				delete state.subscriptionId;
				delete state.secret;
				return false;
			},

			async create(this: IHookFunctions): Promise<boolean> {
				const events = this.getNodeParameter('events') as string[];
				const aliases = this.getNodeParameter('aliases', []) as string[];
				const body: IDataObject = { url: this.getNodeWebhookUrl('default'), events };
				const filtersAliases = events.includes('endpoint.called') || events.includes('*');
				if (filtersAliases && aliases.length > 0) body.aliases = aliases;
				const answer = await metabotApiRequest.call(this, { method: 'POST', path: '/subscriptions', body });
				const subscription = answer.subscription as IDataObject;
				const state = this.getWorkflowStaticData('node') as SubscriptionState;
				state.subscriptionId = String(subscription.id);
				state.secret = String(subscription.secret);
				return true;
			},

			async delete(this: IHookFunctions): Promise<boolean> {
				const state = this.getWorkflowStaticData('node') as SubscriptionState;
				if (state.subscriptionId) {
					try {
						await metabotApiRequest.call(this, {
							method: 'DELETE',
							path: `/subscriptions/${encodeURIComponent(state.subscriptionId)}`,
						});
					} catch (error) {
						if (!isNotFound(error)) return false;
					}
				}
				delete state.subscriptionId;
				delete state.secret;
				return true;
			},
		},
	};

	async webhook(this: IWebhookFunctions): Promise<IWebhookResponseData> {
		const state = this.getWorkflowStaticData('node') as SubscriptionState;
		const request = this.getRequestObject();
		const response = this.getResponseObject();
		const rawBody = request.rawBody?.toString('utf8') ?? '';
		const header = this.getHeaderData()['x-metabot-signature'] as string | undefined;
		const check = state.secret
			? verifySignature(state.secret, header, rawBody, Math.floor(Date.now() / 1000))
			: { valid: false as const, reason: 'This trigger has no active subscription' };
		if (!check.valid) {
			response.status(401).json({ success: false, message: check.reason });
			return { noWebhookResponse: true };
		}
		const event = this.getBodyData();
		const deliveryId = this.getHeaderData()['x-metabot-delivery'] as string | undefined;
		return { workflowData: [this.helpers.returnJsonArray([eventToItem(event, deliveryId)])] };
	}
}
