import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { optionsCollection, showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	optionsCollection(showFor('link', ['unlink']), [
		{
			displayName: 'Lead ID',
			name: 'leadId',
			type: 'string',
			default: '',
			description: 'Only this lead; empty unlinks every lead of the user',
		},
	]),
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const options = this.getNodeParameter('options', itemIndex, {}) as IDataObject;
	const body: ApiBody<'unlinkUser'> = { userId: String(this.getNodeParameter('userId', itemIndex)) };
	if (options.leadId) body.leadId = options.leadId as string;
	return await metabotApiRequest(this, { operation: 'unlinkUser', method: 'DELETE', path: '/links', body, itemIndex });
}
