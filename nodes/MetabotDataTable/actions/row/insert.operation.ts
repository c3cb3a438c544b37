import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { metabotApiRequest } from '../../../shared/transport';
import { tablePath } from '../fields';
import { rowData } from './fields';

/** Only the shared Table and Data. */
export const description: INodeProperties[] = [];

/** The row as written, with the id the backend gave it. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const row = rowData.call(this, itemIndex);
	const path = `${tablePath.call(this, itemIndex)}/rows`;
	const answer = await metabotApiRequest(this, { operation: 'insertRows', method: 'POST', path, body: { rows: [row] }, itemIndex });
	return { id: (answer.ids as unknown[] | undefined)?.[0] ?? null, ...row };
}
