import type { IBinaryKeyData, IDataObject, IExecuteFunctions, INode, INodeExecutionData, JsonObject } from 'n8n-workflow';
import { NodeApiError, NodeOperationError } from 'n8n-workflow';

/** An output item that carries binary data beside its JSON (Download File), made by `binaryItem`. */
export interface BinaryItem {
	readonly binaryItem: INodeExecutionData;
}

export function binaryItem(json: IDataObject, binary: IBinaryKeyData): BinaryItem {
	return { binaryItem: { json, binary } };
}

function isBinaryItem(result: IDataObject | IDataObject[] | BinaryItem): result is BinaryItem {
	return !Array.isArray(result) && Object.keys(result).length === 1 && typeof result.binaryItem === 'object' && result.binaryItem !== null && 'binary' in result.binaryItem;
}

/** One operation on one input item; an array answer becomes several output items. */
export type ItemOperation = (this: IExecuteFunctions, itemIndex: number) => Promise<IDataObject | IDataObject[] | BinaryItem>;

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
			const output = isBinaryItem(result) ? [result.binaryItem] : this.helpers.returnJsonArray(result);
			const executionData = this.helpers.constructExecutionMetaData(output, {
				itemData: { item: itemIndex },
			});
			returnData.push(...executionData);
		} catch (error) {
			if (!this.continueOnFail()) throw asNodeError(this.getNode(), error, itemIndex);
			returnData.push(errorItem(this.getNode(), error, itemIndex));
		}
	}
	return returnData;
}

/** The error as n8n shows it: a NodeApiError stays as it is (re-wrapping hands back the original). */
export function asNodeError(node: INode, error: unknown, itemIndex: number): NodeApiError | NodeOperationError {
	if (error instanceof NodeApiError) return new NodeApiError(node, error as unknown as JsonObject);
	return new NodeOperationError(node, error as Error, { itemIndex });
}

/** What Continue On Fail outputs for a failed item: the error's message, description and HTTP code (on the error output when the node has one). */
export function errorItem(node: INode, error: unknown, itemIndex: number): INodeExecutionData {
	const failure = error as Error & { description?: string; httpCode?: string };
	const item: INodeExecutionData = { json: { error: failure.message, description: failure.description, httpCode: failure.httpCode }, pairedItem: { item: itemIndex } };
	// n8n moves an item to the error output by its `error`; on the regular output that would replace the JSON with the message alone.
	if (node.onError === 'continueErrorOutput') item.error = asNodeError(node, error, itemIndex);
	return item;
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
