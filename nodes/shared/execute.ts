import type { IDataObject, IExecuteFunctions, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** One operation on one input item; an array answer becomes several output items. */
export type ItemOperation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[]>;

/**
 * Runs the operation for every input item, pairs each output item with its input item, and turns a
 * failure into an `error` item when the node is set to continue on fail.
 */
export async function executePerItem(this: IExecuteFunctions, operation: ItemOperation): Promise<INodeExecutionData[]> {
	const items = this.getInputData();
	const returnData: INodeExecutionData[] = [];
	for (let itemIndex = 0; itemIndex < items.length; itemIndex++) {
		try {
			const result = await operation.call(this, itemIndex);
			const executionData = this.helpers.constructExecutionMetaData(this.helpers.returnJsonArray(result), {
				itemData: { item: itemIndex },
			});
			returnData.push(...executionData);
		} catch (error) {
			if (!this.continueOnFail()) {
				if (error instanceof NodeApiError) throw new NodeApiError(this.getNode(), error as unknown as JsonObject);
				throw new NodeOperationError(this.getNode(), error as Error, { itemIndex });
			}
			const failure = error as Error & { description?: string; httpCode?: string };
			returnData.push({
				json: { error: failure.message, description: failure.description, httpCode: failure.httpCode },
				pairedItem: { item: itemIndex },
			});
		}
	}
	return returnData;
}

/** A node's operation modules by resource and operation name: what its router dispatches to. */
export type OperationsByResource = Record<string, Record<string, { execute: ItemOperation }>>;

/**
 * The operation the node is set to. Resource and operation are read from the first item: they are
 * not expressions (noDataExpression), so every item has the same.
 */
export function selectedOperation(this: IExecuteFunctions, resources: OperationsByResource): ItemOperation {
	const resource = this.getNodeParameter('resource', 0) as string;
	const operation = this.getNodeParameter('operation', 0) as string;
	const selected = resources[resource]?.[operation];
	if (selected) return selected.execute;
	// Only a hand-edited workflow gets here; failing per item keeps Continue On Fail working.
	return async function (this: IExecuteFunctions, itemIndex: number): Promise<IDataObject> {
		throw new NodeOperationError(this.getNode(), `Unknown operation "${operation}" of resource "${resource}"`, { itemIndex });
	};
}
