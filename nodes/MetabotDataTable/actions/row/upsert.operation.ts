import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { metabotApiRequest } from '../../../shared/transport';
import { readColumnList, tablePath } from '../fields';
import { rowData } from './fields';

export const description: INodeProperties[] = [
	{
		displayName: 'Key Columns',
		name: 'keys',
		type: 'string',
		required: true,
		default: '',
		placeholder: 'orderId',
		description: 'Columns (comma-separated) that identify a row; they should be unique together',
		displayOptions: { show: showFor('row', ['upsert']) },
	},
];

/** The row as written, with `upserted` from the backend. */
export async function execute(this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
	const row = rowData.call(this, itemIndex);
	const keys = readColumnList.call(this, 'keys', itemIndex);
	const answer = await metabotApiRequest(this, {
		operation: 'upsertRows',
		method: 'POST',
		path: `${tablePath.call(this, itemIndex)}/rows/upsert`,
		body: { keys, rows: [row] },
		itemIndex,
	});
	return { upserted: answer.upserted, ...row };
}
