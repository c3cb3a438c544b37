import type { IExecuteFunctions, INodeExecutionData } from 'n8n-workflow';
import { executePerItem, selectedOperation } from '../../shared/execute';
import * as analytics from './analytics';
import * as conversation from './conversation';
import * as endpoint from './endpoint';
import * as message from './message';

export async function router(this: IExecuteFunctions): Promise<INodeExecutionData[][]> {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	// Send and Wait sends once and pauses the whole execution, so it does not run per item.
	if (resource === 'message' && operation === 'sendAndWait') {
		return [await message.sendAndWait.execute.call(this)];
	}
	// Answer Call answers the one call that started the execution.
	if (resource === 'endpoint' && operation === 'answer') {
		return [await endpoint.answer.execute.call(this)];
	}
	const execute = selectedOperation.call(this, { endpoint: endpoint.operations, message: message.operations, analytics: analytics.operations, conversation: conversation.operations });
	return [await executePerItem.call(this, execute)];
}
