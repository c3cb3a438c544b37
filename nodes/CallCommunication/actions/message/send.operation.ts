import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { metabotApiRequest } from '../../../shared/transport';
import { buttonsField, deliveryOptions, messageFields } from './fields';
import { buildMessageRequest } from './request';

export const description: INodeProperties[] = [...messageFields('send'), buttonsField('send'), deliveryOptions('send')];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const { body, headers } = buildMessageRequest.call(this, itemIndex);
	return await metabotApiRequest(this, { operation: 'sendMessage', method: 'POST', path: '/messages', body, headers, itemIndex });
}
