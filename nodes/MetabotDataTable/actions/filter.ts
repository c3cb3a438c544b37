import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import type { Show } from '../../shared/descriptions';
import { columnField } from './fields';

export const FILTER_OPERATORS = [
	{ name: 'Equals', value: 'eq' },
	{ name: 'Not Equals', value: 'neq' },
	{ name: 'Greater Than', value: 'gt' },
	{ name: 'Greater Than or Equal', value: 'gte' },
	{ name: 'Less Than', value: 'lt' },
	{ name: 'Less Than or Equal', value: 'lte' },
	{ name: 'Like (Case-Sensitive)', value: 'like' },
	{ name: 'Like (Case-Insensitive)', value: 'ilike' },
	{ name: 'In List', value: 'in' },
	{ name: 'Is Empty', value: 'isEmpty' },
	{ name: 'Is Not Empty', value: 'isNotEmpty' },
	{ name: 'Is True', value: 'isTrue' },
	{ name: 'Is False', value: 'isFalse' },
];
const VALUELESS_OPERATORS = ['isEmpty', 'isNotEmpty', 'isTrue', 'isFalse'];

export function filterFields(show: Show, required: boolean): INodeProperties[] {
	return [
		{
			displayName: 'Must Match',
			name: 'match',
			type: 'options',
			options: [
				{ name: 'All Conditions', value: 'all' },
				{ name: 'Any Condition', value: 'any' },
			],
			default: 'all',
			displayOptions: { show },
		},
		{
			displayName: required ? 'Conditions' : 'Filter',
			name: 'conditions',
			type: 'fixedCollection',
			typeOptions: { multipleValues: true },
			placeholder: 'Add Condition',
			default: {},
			description: required ? 'Rows matching these conditions are changed' : 'Only rows matching these conditions',
			displayOptions: { show },
			options: [
				{
					displayName: 'Condition',
					name: 'condition',
					values: [
						columnField('Column Name or ID', 'column'),
						{ displayName: 'Operator', name: 'op', type: 'options', options: FILTER_OPERATORS, default: 'eq' },
						{
							displayName: 'Value',
							name: 'value',
							type: 'string',
							default: '',
							description: 'Compared value; for In List, values separated by commas',
						},
					],
				},
			],
		},
	];
}

interface ConditionInput {
	column: string;
	op: string;
	value?: unknown;
}

/** The backend filter from the node's conditions, or undefined when none are set. */
export function readFilter(this: IExecuteFunctions, itemIndex: number): IDataObject | undefined {
	const conditions = ((this.getNodeParameter('conditions', itemIndex, {}) as { condition?: ConditionInput[] }).condition ?? []).map(
		({ column, op, value }) => {
			if (VALUELESS_OPERATORS.includes(op)) return { column, op };
			if (op === 'in') return { column, op, value: String(value ?? '').split(',').map((v) => v.trim()) };
			return { column, op, value };
		},
	);
	if (conditions.length === 0) return undefined;
	return { match: this.getNodeParameter('match', itemIndex, 'all'), conditions };
}
