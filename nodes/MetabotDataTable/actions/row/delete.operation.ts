import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { metabotApiRequest } from '../../../shared/transport';
import { tablePath } from '../fields';
import { rowScope } from './fields';

/** Only the shared Table, Filter and All Rows. */
export const description: INodeProperties[] = [];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const body = rowScope.call(this, itemIndex);
	const answer = await metabotApiRequest(this, { operation: 'deleteRows', method: 'POST', path: `${tablePath.call(this, itemIndex)}/rows/delete`, body, itemIndex });
	return { deleted: answer.deleted };
}
