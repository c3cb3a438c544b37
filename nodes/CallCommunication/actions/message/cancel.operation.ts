import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';
import { messageIdField } from './fields';

const shown = { show: showFor('message', ['cancel']) };

export const description: INodeProperties[] = [
	{
		displayName: 'Cancel By',
		name: 'cancelBy',
		type: 'options',
		options: [
			{ name: 'Cancel Key', value: 'cancelKey', description: 'The Cancel Key the Send gave (e.g. reminder:order:9821)' },
			{ name: 'Message ID', value: 'messageId', description: 'The messageId returned by Send' },
		],
		default: 'cancelKey',
		displayOptions: shown,
	},
	{
		displayName: 'Cancel Key',
		name: 'cancelKey',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'reminder:order:9821',
		displayOptions: { show: { ...shown.show, cancelBy: ['cancelKey'] } },
	},
	messageIdField({ show: { ...shown.show, cancelBy: ['messageId'] } }),
];

/** What has not left is cancelled; sends already on the wire are listed in inFlight. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const by = this.getNodeParameter('cancelBy', itemIndex) as string;
	const value = String(this.getNodeParameter(by, itemIndex)).trim();
	if (!value) throw new NodeOperationError(this.getNode(), by === 'cancelKey' ? 'No Cancel Key given' : 'No Message ID given', { itemIndex });
	const answer =
		by === 'cancelKey'
			? await metabotApiRequest(this, { operation: 'cancelMessageByKey', method: 'POST', path: '/messages/cancel', body: { cancelKey: value }, itemIndex })
			: await metabotApiRequest(this, { operation: 'cancelMessage', method: 'POST', path: `/messages/${encodeURIComponent(value)}/cancel`, itemIndex });
	return answer as IDataObject;
}
