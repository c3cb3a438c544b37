import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { optionsCollection, showFor, traceIdOption } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest, optionHeaders } from '../../../shared/transport';
import { recipientFields } from './fields';
import { readRecipients } from './request';

type Invoice = NonNullable<ApiBody<'sendMessage'>['invoice']>;

const show = showFor('message', ['sendInvoice']);

export const description: INodeProperties[] = [
	...recipientFields('sendInvoice'),
	{ displayName: 'Title', name: 'invoiceTitle', type: 'string', required: true, default: '', placeholder: 'Consultation', description: 'What is sold, 1 to 32 characters', displayOptions: { show } },
	{ displayName: 'Description', name: 'invoiceDescription', type: 'string', required: true, default: '', placeholder: '30 minutes with a coach', description: '1 to 255 characters', displayOptions: { show } },
	{
		displayName: 'Payload',
		name: 'invoicePayload',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'consult:42',
		description: 'Your reference for this sale (at most 128 bytes), not shown to the person; it comes back in the Pre-Checkout and Payment Succeeded events',
		displayOptions: { show },
	},
	{
		displayName: 'Currency',
		name: 'invoiceCurrency',
		type: 'string',
		required: true,
		default: 'XTR',
		description: 'XTR for Telegram Stars, else a three-letter code (RUB, USD, EUR) paid through the payment provider of Provider Token',
		displayOptions: { show },
	},
	{
		displayName: 'Prices',
		name: 'invoicePrices',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Price',
		default: {},
		description: 'The lines of the bill; Telegram Stars take exactly one',
		displayOptions: { show },
		options: [
			{
				displayName: 'Price',
				name: 'price',
				values: [
					{ displayName: 'Label', name: 'label', type: 'string', default: '', placeholder: 'Consultation' },
					{
						displayName: 'Amount',
						name: 'amount',
						type: 'number',
						typeOptions: { minValue: 1 },
						default: 1,
						description: 'In the smallest unit of the currency: whole Stars, cents, kopecks (1990 is 19.90)',
					},
				],
			},
		],
	},
	{
		displayName: 'Provider Token',
		name: 'providerToken',
		type: 'string',
		typeOptions: { password: true },
		default: '',
		description: 'The payment provider\'s token from BotFather (YooKassa, Stripe, …); leave empty for Telegram Stars',
		displayOptions: { show },
	},
	optionsCollection(show, [
		{
			displayName: 'Critical',
			name: 'critical',
			type: 'boolean',
			default: false,
			description: 'Whether to deliver even to paused users and in the bot\'s quiet hours',
		},
		{ displayName: 'Idempotency Key', name: 'idempotencyKey', type: 'string', default: '', description: 'Sends with the same key go out once; repeats get the first answer back' },
		traceIdOption,
	]),
];

const invoiceLabels: Record<string, string> = {
	'invoice.title': 'Title',
	'invoice.description': 'Description',
	'invoice.payload': 'Payload',
	'invoice.currency': 'Currency',
	'invoice.prices': 'Prices',
	'invoice.providerToken': 'Provider Token',
};

/** The backend's path (invoice.prices.0.amount) as the node's field (Prices). */
function fieldLabel(path: string): string {
	const field = path.split('.').slice(0, 2).join('.');
	return invoiceLabels[field] ?? path;
}

function readInvoice(this: IExecuteFunctions, itemIndex: number): Invoice {
	const prices = ((this.getNodeParameter('invoicePrices', itemIndex, {}) as { price?: Array<{ label: string; amount: number }> }).price ?? []).map((p) => ({
		label: String(p.label),
		amount: Number(p.amount),
	}));
	if (prices.length === 0) throw new NodeOperationError(this.getNode(), 'Add at least one price', { itemIndex });
	const providerToken = String(this.getNodeParameter('providerToken', itemIndex, '')).trim();
	return {
		title: String(this.getNodeParameter('invoiceTitle', itemIndex)),
		description: String(this.getNodeParameter('invoiceDescription', itemIndex)),
		payload: String(this.getNodeParameter('invoicePayload', itemIndex)),
		currency: String(this.getNodeParameter('invoiceCurrency', itemIndex)).trim().toUpperCase(),
		prices,
		...(providerToken ? { providerToken } : {}),
	};
}

/** Sends a Telegram invoice (Stars or a payment provider's currency); the payment arrives as events. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	// Payments are Telegram's: a person linked to several messengers gets the invoice there.
	const body: ApiBody<'sendMessage'> = { ...readRecipients.call(this, itemIndex), invoice: readInvoice.call(this, itemIndex), channel: 'telegram' };
	if (options.critical) body.critical = true;
	return await metabotApiRequest(this, { operation: 'sendMessage', method: 'POST', path: '/messages', body, headers: optionHeaders(this, options, itemIndex), itemIndex, fieldLabel });
}
