import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { executePerItem, selectedOperation } from '../../shared/execute';
import * as row from './row';
import * as stats from './stats';
import * as table from './table';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const execute = selectedOperation.call(this, { table: table.operations, row: row.operations, stats: stats.operations });
	return [await executePerItem.call(this, execute)];
}
