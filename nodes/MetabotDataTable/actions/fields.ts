import type { IDataObject, IExecuteFunctions, INodeProperties } from 'n8n-workflow';

type Show = { resource: string[]; operation: string[] };

export function tableField(show: Show): INodeProperties {
	return {
		displayName: 'Table Name or ID',
		name: 'table',
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getTables' },
		required: true,
		default: '',
		description:
			'The bot\'s data table. Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.',
		displayOptions: { show },
	};
}

function columnField(displayName: string, name: string): INodeProperties {
	return {
		displayName,
		name,
		type: 'options',
		typeOptions: { loadOptionsMethod: 'getColumns', loadOptionsDependsOn: ['table'] },
		default: '',
		description: 'Choose from the list, or specify an ID using an <a href="https://docs.n8n.io/code/expressions/">expression</a>',
	};
}

export function columnParameter(show: Show, displayName: string, name: string): INodeProperties {
	return { ...columnField(displayName, name), required: true, displayOptions: { show } };
}

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

export function windowField(show: Show): INodeProperties {
	return {
		displayName: 'Time Window',
		name: 'window',
		type: 'collection',
		placeholder: 'Add Time Window',
		default: {},
		description: 'Only rows whose date column falls in this window',
		displayOptions: { show },
		options: [
			{ displayName: 'Date Column', name: 'column', type: 'string', default: 'createdAt', description: 'The datetime column the window applies to' },
			{ displayName: 'Days', name: 'days', type: 'number', typeOptions: { minValue: 1 }, default: 7, description: 'For Last N Days' },
			{ displayName: 'From', name: 'from', type: 'string', default: '', placeholder: '2026-11-01', description: 'For Between Dates (inclusive)' },
			{ displayName: 'Time Zone', name: 'timezone', type: 'string', default: '', placeholder: 'Europe/Moscow', description: 'Defaults to the bot\'s time zone' },
			{ displayName: 'To', name: 'to', type: 'string', default: '', placeholder: '2026-11-30', description: 'For Between Dates (a plain date includes the whole day)' },
			{
				displayName: 'Window',
				name: 'type',
				type: 'options',
				options: [
					{ name: 'Today', value: 'today' },
					{ name: 'This Week', value: 'this_week' },
					{ name: 'Last N Days', value: 'last_days' },
					{ name: 'Between Dates', value: 'between' },
				],
				default: 'today',
			},
		],
	};
}

export function readWindow(this: IExecuteFunctions, itemIndex: number): IDataObject | undefined {
	const window = this.getNodeParameter('window', itemIndex, {}) as IDataObject;
	if (!window.type) return undefined;
	const result: IDataObject = { type: window.type };
	if (window.type === 'last_days') result.days = window.days ?? 7;
	if (window.type === 'between') {
		if (window.from) result.from = window.from;
		if (window.to) result.to = window.to;
	}
	if (window.column) result.column = window.column;
	if (window.timezone) result.timezone = window.timezone;
	return result;
}

/** Comma-separated column names (group by, upsert keys). */
export function readColumnList(this: IExecuteFunctions, name: string, itemIndex: number): string[] {
	return String(this.getNodeParameter(name, itemIndex, '') ?? '')
		.split(',')
		.map((column) => column.trim())
		.filter((column) => column.length > 0);
}
