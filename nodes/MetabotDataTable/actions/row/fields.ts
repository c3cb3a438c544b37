import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { NodeOperationError } from 'n8n-workflow';
import { showFor } from '../../../shared/descriptions';
import { assignmentsToObject } from '../../../shared/parameters';
import { readFilter } from '../filter';

/** Where a written row's values come from: the input item as it is, or columns set one by one. */
export function dataFields(operations: string[]): INodeProperties[] {
	return [
		{
			displayName: 'Data',
			name: 'dataMode',
			type: 'options',
			options: [
				{ name: 'Map Input Fields', value: 'autoMap', description: 'Use the input item\'s fields as the columns' },
				{ name: 'Define Below', value: 'define', description: 'Set each column' },
			],
			default: 'autoMap',
			displayOptions: { show: showFor('row', operations) },
		},
		{
			displayName: 'Values',
			name: 'values',
			type: 'assignmentCollection',
			default: {},
			displayOptions: { show: showFor('row', operations, { dataMode: ['define'] }) },
		},
	];
}

export function rowData(this: IExecuteFunctions, itemIndex: number): IDataObject {
	if (this.getNodeParameter('dataMode', itemIndex) === 'define') {
		return assignmentsToObject(this.getNodeParameter('values', itemIndex, {}));
	}
	return this.getInputData()[itemIndex].json;
}

export function allRowsField(operations: string[]): INodeProperties {
	return {
		displayName: 'All Rows',
		name: 'allRows',
		type: 'boolean',
		default: false,
		description: 'Whether to change every row when no condition is set (a safety catch against emptying a table by mistake)',
		displayOptions: { show: showFor('row', operations) },
	};
}

/** The rows an update or delete touches: the filter, or every row when All Rows says so. */
export function rowScope(this: IExecuteFunctions, itemIndex: number): IDataObject {
	const filter = readFilter.call(this, itemIndex);
	const all = this.getNodeParameter('allRows', itemIndex, false) as boolean;
	if (!filter && !all) {
		throw new NodeOperationError(this.getNode(), 'Add a condition, or turn on All Rows to change every row', { itemIndex });
	}
	return filter ? { filter } : { all: true };
}
