import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { verifyWebhook, WebhookSignatureError } from '../shared/signature';
import { eventToItem } from './output';
import { firstDelivery } from './replays';
import type { SubscriptionState } from './subscription';

/** The signed timestamp of a delivery, or why it is refused. */
function verify(this: IWebhookFunctions, state: SubscriptionState, deliveryId: string, nowSeconds: number): number | string {
	if (!state.secret) return 'This trigger has no active subscription';
	const rawBody = this.getRequestObject().rawBody?.toString('utf8') ?? '';
	const header = this.getHeaderData()['x-metabot-signature'] as string | undefined;
	try {
		return verifyWebhook(state.secret, deliveryId, rawBody, header, nowSeconds);
	} catch (error) {
		if (error instanceof WebhookSignatureError) return error.message;
		throw new NodeOperationError(this.getNode(), error as Error);
	}
}

/**
 * One delivery of the backend: a refused one answers 401 and starts nothing (the backend retries
 * it); a delivery id seen within the signature tolerance answers 200 and starts nothing (so the
 * backend marks it delivered); any other signed one starts the workflow with one flat item.
 */
export async function receiveEvent(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const state = this.getWorkflowStaticData('node') as SubscriptionState;
	const deliveryId = this.getHeaderData()['x-metabot-delivery'] as string | undefined;
	const nowSeconds = Math.floor(Date.now() / 1000);
	const verdict = verify.call(this, state, deliveryId ?? '', nowSeconds);
	if (typeof verdict === 'string') {
		this.getResponseObject().status(401).json({ success: false, message: verdict });
		return { noWebhookResponse: true };
	}
	// Only the deprecated v1 signature accepts a delivery without an id: nothing to de-duplicate on.
	if (deliveryId && !firstDelivery(state, deliveryId, verdict, nowSeconds)) {
		return { webhookResponse: { success: true, message: 'Delivery already received' } };
	}
	return { workflowData: [this.helpers.returnJsonArray([eventToItem(this.getBodyData(), deliveryId)])] };
}
