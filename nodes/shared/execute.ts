import type { IDataObject, IExecuteFunctions, INode, INodeExecutionData, JsonObject } from 'n8n-workflow';
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

/** Accepts a list from an expression (array) or typed text (comma, semicolon or newline separated). */
export function toIdList(value: unknown): string[] {
	const raw = Array.isArray(value) ? value : String(value ?? '').split(/[,;\n]/);
	return raw.map((entry) => String(entry).trim()).filter((entry) => entry.length > 0);
}

/** Parses a JSON parameter that n8n may hand over as text or already as an object. */
export function parseJsonParameter(node: INode, value: unknown, what: string, itemIndex: number): IDataObject {
	if (value === undefined || value === null || value === '') return {};
	let parsed: unknown = value;
	if (typeof value === 'string') {
		try {
			parsed = JSON.parse(value);
		} catch {
			throw new NodeOperationError(node, `${what} is not valid JSON`, { itemIndex });
		}
	}
	if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
		throw new NodeOperationError(node, `${what} must be a JSON object`, { itemIndex });
	}
	return parsed as IDataObject;
}

interface Assignment {
	name: string;
	value: unknown;
	type?: string;
}

/** Values typed in an assignment collection (name, type, value) as one object. */
export function assignmentsToObject(collection: unknown): IDataObject {
	const assignments = ((collection as { assignments?: Assignment[] } | undefined)?.assignments ?? []) as Assignment[];
	const result: IDataObject = {};
	for (const { name, value, type } of assignments) {
		result[name] = convertAssignment(value, type);
	}
	return result;
}

function convertAssignment(value: unknown, type: string | undefined): IDataObject[keyof IDataObject] {
	if (typeof value !== 'string') return value as IDataObject[keyof IDataObject];
	if (type === 'number') return Number(value);
	if (type === 'boolean') return value === 'true';
	if ((type === 'array' || type === 'object') && value.trim() !== '') return JSON.parse(value) as IDataObject;
	return value;
}
