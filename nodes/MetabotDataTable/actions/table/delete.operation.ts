import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { encodePath, metabotApiRequest } from '../../../shared/transport';
import { tableField } from '../fields';

export const description: INodeProperties[] = [tableField(showFor('table', ['delete']))];

export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const table = this.getNodeParameter('table', itemIndex) as string;
	await metabotApiRequest(this, { operation: 'deleteTable', method: 'DELETE', path: `/tables/${encodePath(table)}`, itemIndex });
	return { deleted: true, table };
}
