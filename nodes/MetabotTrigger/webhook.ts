import type { IWebhookFunctions, IWebhookResponseData } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { verifyWebhook, WebhookSignatureError } from '../shared/signature';
import { eventToItem } from './output';
import type { SubscriptionState } from './subscription';

/** Why a delivery is refused, or undefined when it is signed with this subscription's secret. */
function refusal(this: IWebhookFunctions): string | undefined {
	const { secret } = this.getWorkflowStaticData('node') as SubscriptionState;
	if (!secret) return 'This trigger has no active subscription';
	const rawBody = this.getRequestObject().rawBody?.toString('utf8') ?? '';
	const header = this.getHeaderData()['x-metabot-signature'] as string | undefined;
	try {
		verifyWebhook(secret, rawBody, header, Math.floor(Date.now() / 1000));
		return undefined;
	} catch (error) {
		if (error instanceof WebhookSignatureError) return error.message;
		throw new NodeOperationError(this.getNode(), error as Error);
	}
}

/**
 * One delivery of the backend: a refused one answers 401 and starts nothing (the backend retries
 * it); a signed one starts the workflow with one flat item.
 */
export async function receiveEvent(this: IWebhookFunctions): Promise<IWebhookResponseData> {
	const refused = refusal.call(this);
	if (refused) {
		this.getResponseObject().status(401).json({ success: false, message: refused });
		return { noWebhookResponse: true };
	}
	const event = this.getBodyData();
	const deliveryId = this.getHeaderData()['x-metabot-delivery'] as string | undefined;
	return { workflowData: [this.helpers.returnJsonArray([eventToItem(event, deliveryId)])] };
}
