import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';

const show = showFor('message', ['answerButton']);

export const description: INodeProperties[] = [
	{
		displayName: 'Callback ID',
		name: 'callbackId',
		type: 'string',
		required: true,
		default: '={{ $json.data.callbackId }}',
		description: 'The callbackId of the Button Pressed event',
		displayOptions: { show },
	},
	{
		displayName: 'Text',
		name: 'answerText',
		type: 'string',
		default: '',
		placeholder: 'Added to your cart',
		description: 'What the person sees, at most 200 characters; empty only stops the button spinning',
		displayOptions: { show },
	},
	{
		displayName: 'Show as Alert',
		name: 'showAlert',
		type: 'boolean',
		default: false,
		description: 'Whether to show an alert the person closes instead of a toast that fades',
		displayOptions: { show },
	},
];

/**
 * Answers a pressed button with a toast or an alert. Telegram takes one answer per press and the
 * backend answers on its own after 2 s, so a later answer is refused (409).
 */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const callbackId = String(this.getNodeParameter('callbackId', itemIndex)).trim();
	if (!callbackId) throw new NodeOperationError(this.getNode(), 'No Callback ID given', { itemIndex });
	const text = String(this.getNodeParameter('answerText', itemIndex, ''));
	const body = { ...(text ? { text } : {}), showAlert: this.getNodeParameter('showAlert', itemIndex, false) as boolean };
	return await metabotApiRequest(this, { operation: 'answerButton', method: 'POST', path: `/buttons/${encodeURIComponent(callbackId)}/answer`, body, itemIndex });
}
