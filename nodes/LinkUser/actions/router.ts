import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { executePerItem, selectedOperation } from '../../shared/execute';
import * as link from './link';
import * as user from './user';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const execute = selectedOperation.call(this, { link: link.operations, user: user.operations });
	return [await executePerItem.call(this, execute)];
}
