import type { IDataObject, IHookFunctions, JsonObject } from 'n8n-workflow';
import { NodeApiError } from 'n8n-workflow';
import { type ApiBody, metabotApiRequest } from '../shared/transport';
import { RESPOND_WITH_NODE } from './properties';

/** Kept in the workflow's static data between activation and the deliveries it signs. */
export interface SubscriptionState {
	subscriptionId?: string;
	secret?: string;
	/** Delivery ids already received, with the newest timestamp signed for each (replays.ts). */
	recentDeliveries?: Array<[string, number]>;
}

function subscriptionState(this: IHookFunctions): SubscriptionState {
	return this.getWorkflowStaticData('node') as SubscriptionState;
}

function forget(state: SubscriptionState): void {
	delete state.subscriptionId;
	delete state.secret;
	delete state.recentDeliveries;
}

function isNotFound(error: unknown): boolean {
	return (error as { httpCode?: string | null }).httpCode === '404';
}

function subscriptionPath(state: SubscriptionState): string {
	return `/subscriptions/${encodeURIComponent(String(state.subscriptionId))}`;
}

/** Whether the workflow answers endpoint calls (the trigger responds through Answer Call). */
function answersCalls(this: IHookFunctions): boolean {
	return this.getNodeParameter('responseMode', 'onReceived') === RESPOND_WITH_NODE;
}

/**
 * Whether this workflow's subscription still exists with this webhook URL and answer setting. A
 * subscription deleted in the backend, or pointing elsewhere (the n8n URL changed), is forgotten so
 * n8n creates a new one; one whose answer setting changed is deleted first (the URL is ours).
 */
async function checkExists(this: IHookFunctions): Promise<boolean> {
	const state = subscriptionState.call(this);
	if (!state.subscriptionId) return false;
	try {
		const answer = await metabotApiRequest(this, { operation: 'getSubscription', method: 'GET', path: subscriptionPath(state) });
		const subscription = answer.subscription as IDataObject;
		if (subscription.url === this.getNodeWebhookUrl('default')) {
			if (Boolean(subscription.answers) === answersCalls.call(this)) return true;
			await remove.call(this);
			return false;
		}
	} catch (error) {
		if (!isNotFound(error)) throw new NodeApiError(this.getNode(), error as JsonObject);
	}
	forget(state);
	return false;
}

/** Subscribes to the chosen events; the alias filter only matters when endpoint calls are wanted. */
async function create(this: IHookFunctions): Promise<boolean> {
	const events = this.getNodeParameter('events') as ApiBody<'createSubscription'>['events'];
	const aliases = this.getNodeParameter('aliases', []) as string[];
	const body: ApiBody<'createSubscription'> = { url: this.getNodeWebhookUrl('default') as string, events, answers: answersCalls.call(this) };
	const filtersAliases = events.includes('endpoint.called') || events.includes('*');
	if (filtersAliases && aliases.length > 0) body.aliases = aliases;
	const answer = await metabotApiRequest(this, { operation: 'createSubscription', method: 'POST', path: '/subscriptions', body });
	const subscription = answer.subscription as IDataObject;
	const state = subscriptionState.call(this);
	state.subscriptionId = String(subscription.id);
	state.secret = String(subscription.secret);
	return true;
}

/** Unsubscribes; one already gone (404) counts as done, any other failure lets n8n retry later. */
async function remove(this: IHookFunctions): Promise<boolean> {
	const state = subscriptionState.call(this);
	if (state.subscriptionId) {
		try {
			await metabotApiRequest(this, { operation: 'deleteSubscription', method: 'DELETE', path: subscriptionPath(state) });
		} catch (error) {
			if (!isNotFound(error)) return false;
		}
	}
	forget(state);
	return true;
}

/** n8n's webhook lifecycle for the trigger's `default` webhook. */
export const subscriptionLifecycle = { checkExists, create, delete: remove };
