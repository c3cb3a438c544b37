import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { metabotApiRequest } from '../../../shared/transport';

export const description: INodeProperties[] = [];

/** One output item per table. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject[]> {
	const answer = await metabotApiRequest(this, { operation: 'listTables', method: 'GET', path: '/tables', itemIndex });
	return answer.tables as IDataObject[];
}
