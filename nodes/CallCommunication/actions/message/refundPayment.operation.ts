import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('message', ['refundPayment']);

export const description: INodeProperties[] = [
	{
		displayName: 'Lead ID',
		name: 'leadId',
		type: 'string',
		required: true,
		default: '={{ $json.leadId }}',
		description: 'Who paid: the leadId of the Payment Succeeded event',
		displayOptions: { show },
	},
	{
		displayName: 'Telegram Payment Charge ID',
		name: 'telegramPaymentChargeId',
		type: 'string',
		required: true,
		default: '={{ $json.data.telegramPaymentChargeId }}',
		description: 'From the Payment Succeeded event',
		displayOptions: { show },
	},
];

/** Refunds a Telegram Stars payment (once); payments in other currencies are refunded at their provider. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const leadId = String(this.getNodeParameter('leadId', itemIndex)).trim();
	const telegramPaymentChargeId = String(this.getNodeParameter('telegramPaymentChargeId', itemIndex)).trim();
	if (!leadId || !telegramPaymentChargeId) throw new NodeOperationError(this.getNode(), 'Give the Lead ID and the Telegram Payment Charge ID', { itemIndex });
	return await metabotApiRequest(this, { operation: 'refundPayment', method: 'POST', path: '/payments/refund', body: { leadId, telegramPaymentChargeId }, itemIndex });
}
