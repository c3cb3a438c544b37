import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { metabotApiRequest } from '../../../shared/transport';
import { deliveryOptions, messageFields } from './fields';
import { buildMessageRequest } from './request';

/**
 * The question goes out with five buttons whose data is `rating:1` … `rating:5`; the backend
 * records the person's tap as a `rating.given` event (CSAT in the analytics) and then passes it on
 * like any tap.
 */
export const description: INodeProperties[] = [...messageFields('askRating'), deliveryOptions('askRating')];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const { body, headers, fieldLabel } = await buildMessageRequest.call(this, itemIndex);
	body.buttons = [[1, 2, 3, 4, 5].map((rating) => ({ text: String(rating), data: `rating:${rating}` }))];
	return await metabotApiRequest(this, { operation: 'sendMessage', method: 'POST', path: '/messages', body, headers, itemIndex, fieldLabel });
}
