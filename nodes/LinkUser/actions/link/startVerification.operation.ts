import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type ApiBody, metabotApiRequest } from '../../../shared/transport';

/** No parameters of its own: the User ID is the resource's shared field. */
export const description: INodeProperties[] = [];

/** A 6-digit code for the user, valid 5 minutes; the workflow sends `code` with any SMS or email node. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body: ApiBody<'startVerification'> = { userId: String(this.getNodeParameter('userId', itemIndex)) };
	return await metabotApiRequest(this, { operation: 'startVerification', method: 'POST', path: '/verifications', body, itemIndex });
}
