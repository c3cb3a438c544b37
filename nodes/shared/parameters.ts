import type { IDataObject, IExecuteFunctions, INode } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import type { FieldsOrJsonBlock } from './descriptions';

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

/** The object of a `fieldsOrJson` block, from whichever of its two inputs is switched on. */
export function readFieldsOrJson(
	this: IExecuteFunctions,
	block: Pick<FieldsOrJsonBlock, 'name' | 'label'>,
	itemIndex: number,
): IDataObject {
	if (this.getNodeParameter(`${block.name}Mode`, itemIndex) === 'json') {
		const json = this.getNodeParameter(`${block.name}Json`, itemIndex);
		return parseJsonParameter(this.getNode(), json, `${block.label} (JSON)`, itemIndex);
	}
	return assignmentsToObject(this.getNodeParameter(`${block.name}Fields`, itemIndex, {}));
}

/** How many results a `returnAllAndLimit` pair asks for (Infinity for all). */
export function readLimit(this: IExecuteFunctions, itemIndex: number): number {
	const returnAll = this.getNodeParameter('returnAll', itemIndex, false) as boolean;
	return returnAll ? Infinity : (this.getNodeParameter('limit', itemIndex, 50) as number);
}

/** The rules of a `sortRules` collection; a rule whose column was left empty is dropped. */
export function readSort(this: IExecuteFunctions, itemIndex: number): IDataObject[] {
	const sort = this.getNodeParameter('sort', itemIndex, {}) as { rule?: IDataObject[] };
	return (sort.rule ?? []).filter((rule) => rule.column);
}
