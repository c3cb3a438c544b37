import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

const show = showFor('message', ['answerPreCheckout']);

export const description: INodeProperties[] = [
	{
		displayName: 'Pre-Checkout Event ID',
		name: 'preCheckoutEventId',
		type: 'string',
		required: true,
		default: '={{ $json.eventId }}',
		description: 'The eventId of the Payment Pre-Checkout event (the bot\'s payments setting must be "workflow")',
		displayOptions: { show },
	},
	{
		displayName: 'Answer',
		name: 'preCheckoutAnswer',
		type: 'options',
		options: [
			{ name: 'Accept', value: 'accept', description: 'The payment goes on' },
			{ name: 'Refuse', value: 'refuse', description: 'The payment is cancelled with the error message' },
		],
		default: 'accept',
		displayOptions: { show },
	},
	{
		displayName: 'Error Message',
		name: 'preCheckoutError',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'Sorry, this slot was just taken',
		description: 'What the person reads, at most 255 characters',
		displayOptions: { show: { ...show, preCheckoutAnswer: ['refuse'] } },
	},
];

/**
 * Answers a pre-checkout the workflow decides. Telegram waits 10 s at most, so the backend sends the
 * bot's default after its workflowTimeoutMs; an answer after that, or a second one, is refused (409).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const eventId = String(this.getNodeParameter('preCheckoutEventId', itemIndex)).trim();
	if (!/^\d+$/.test(eventId)) throw new NodeOperationError(this.getNode(), 'The Pre-Checkout Event ID is the number of the Payment Pre-Checkout event', { itemIndex });
	const accept = this.getNodeParameter('preCheckoutAnswer', itemIndex, 'accept') === 'accept';
	const body: ApiBody<'answerPreCheckout'> = accept ? { ok: true } : { ok: false, errorMessage: String(this.getNodeParameter('preCheckoutError', itemIndex, '')) };
	const fieldLabel = (path: string) => (path === 'errorMessage' ? 'Error Message' : path);
	return await metabotApiRequest(this, { operation: 'answerPreCheckout', method: 'POST', path: `/payments/pre-checkouts/${eventId}/answer`, body, itemIndex, fieldLabel });
}
