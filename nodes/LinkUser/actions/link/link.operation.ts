import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [
	{
		displayName: 'Lead ID',
		name: 'leadId',
		type: 'string',
		required: true,
		default: '',
		description: 'The messenger contact (ld_…) to link',
		displayOptions: { show: showFor('link', ['link']) },
	},
];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body: ApiBody<'linkUser'> = {
		userId: String(this.getNodeParameter('userId', itemIndex)),
		leadId: this.getNodeParameter('leadId', itemIndex) as string,
	};
	const answer = await metabotApiRequest(this, { operation: 'linkUser', method: 'POST', path: '/links', body, itemIndex });
	return { ...(answer.link as IDataObject), trace_id: answer.trace_id };
}
