import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { metabotApiRequest } from '../../../shared/transport';
import { buttonsField, deliveryOptions, messageFields } from './fields';
import { sendOutput } from './preview';
import { buildMessageRequest } from './request';

export const description: INodeProperties[] = [...messageFields('send', true), buttonsField('send'), deliveryOptions('send')];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject | IDataObject[]> {
	const { body, headers, fieldLabel } = await buildMessageRequest.call(this, itemIndex);
	return sendOutput(await metabotApiRequest(this, { operation: 'sendMessage', method: 'POST', path: '/messages', body, headers, itemIndex, fieldLabel }));
}
