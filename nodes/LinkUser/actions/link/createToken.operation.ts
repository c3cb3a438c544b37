import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { optionsCollection, showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	optionsCollection(showFor('link', ['createToken']), [
		{
			displayName: 'Valid For (Seconds)',
			name: 'ttlSeconds',
			type: 'number',
			typeOptions: { minValue: 60 },
			default: 86400,
			description: 'How long the link works',
		},
	]),
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: ApiBody<'createLinkToken'> = { userId: String(this.getNodeParameter('userId', itemIndex)) };
	if (options.ttlSeconds) body.ttlSeconds = options.ttlSeconds as number;
	return await metabotApiRequest(this, { operation: 'createLinkToken', method: 'POST', path: '/link-tokens', body, itemIndex });
}
