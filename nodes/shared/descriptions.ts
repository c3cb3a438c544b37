import type { IDisplayOptions, INodeProperties, INodePropertyOptions } from 'n8n-workflow';

/** The conditions of `displayOptions.show`. */
export type Show = NonNullable<IDisplayOptions['show']>;

/** Shown for these operations of a resource, and only when the extra conditions hold too. */
export function showFor(resource: string, operation: string[], extra: Show = {}): Show {
	return { resource: [resource], operation, ...extra };
}

/** The node's first parameter: which kind of object it works on. */
export function resourceProperty(options: INodePropertyOptions[], defaultResource: string): INodeProperties {
	return {
		displayName: 'Resource',
		name: 'resource',
		type: 'options',
		noDataExpression: true,
		options,
		default: defaultResource,
	};
}

/** A resource's operation selector; every option carries the `action` n8n shows in the node list. */
export function operationProperty(resource: string, options: INodePropertyOptions[], defaultOperation: string): INodeProperties {
	return {
		displayName: 'Operation',
		name: 'operation',
		type: 'options',
		noDataExpression: true,
		displayOptions: { show: { resource: [resource] } },
		options,
		default: defaultOperation,
	};
}

/** The optional settings of an operation, under one "Add Option" button. */
export function optionsCollection(show: Show, options: INodeProperties[]): INodeProperties {
	return {
		displayName: 'Options',
		name: 'options',
		type: 'collection',
		placeholder: 'Add Option',
		default: {},
		displayOptions: { show },
		options,
	};
}

export interface FieldsOrJsonBlock {
	/** Prefix of the three parameters: `<name>Mode`, `<name>Fields`, `<name>Json`. */
	name: string;
	/** What is entered, e.g. "Parameters": the labels become "Parameters Input" and "Parameters (JSON)". */
	label: string;
	fieldsDescription: string;
	jsonDescription: string;
	/** Explanations under the two choices, where the operation has them. */
	modeDescriptions?: { fields: string; json: string };
}

function modeOption(name: string, value: string, description: string | undefined): INodePropertyOptions {
	return description === undefined ? { name, value } : { name, value, description };
}

/**
 * One object entered either as named fields (an assignment collection) or as a JSON object, with a
 * switch between the two; `readFieldsOrJson` reads it back.
 */
export function fieldsOrJson(show: Show, block: FieldsOrJsonBlock): INodeProperties[] {
	return [
		{
			displayName: `${block.label} Input`,
			name: `${block.name}Mode`,
			type: 'options',
			options: [
				modeOption('Fields', 'fields', block.modeDescriptions?.fields),
				modeOption('JSON', 'json', block.modeDescriptions?.json),
			],
			default: 'fields',
			displayOptions: { show },
		},
		{
			displayName: block.label,
			name: `${block.name}Fields`,
			type: 'assignmentCollection',
			default: {},
			description: block.fieldsDescription,
			displayOptions: { show: { ...show, [`${block.name}Mode`]: ['fields'] } },
		},
		{
			displayName: `${block.label} (JSON)`,
			name: `${block.name}Json`,
			type: 'json',
			default: '{}',
			description: block.jsonDescription,
			displayOptions: { show: { ...show, [`${block.name}Mode`]: ['json'] } },
		},
	];
}

/** Sort rules, each a column (the caller's picker) and a direction, in the order they apply. */
export function sortRules(show: Show, column: INodeProperties): INodeProperties {
	return {
		displayName: 'Sort',
		name: 'sort',
		type: 'fixedCollection',
		typeOptions: { multipleValues: true, sortable: true },
		placeholder: 'Add Sort Rule',
		default: {},
		displayOptions: { show },
		options: [
			{
				displayName: 'Rule',
				name: 'rule',
				values: [
					column,
					{
						displayName: 'Direction',
						name: 'direction',
						type: 'options',
						options: [
							{ name: 'Ascending', value: 'asc' },
							{ name: 'Descending', value: 'desc' },
						],
						default: 'asc',
					},
				],
			},
		],
	};
}

/** n8n's usual pair for lists: everything, or at most Limit results; `readLimit` reads it back. */
export function returnAllAndLimit(show: Show): INodeProperties[] {
	return [
		{
			displayName: 'Return All',
			name: 'returnAll',
			type: 'boolean',
			default: false,
			description: 'Whether to return all results or only up to a given limit',
			displayOptions: { show },
		},
		{
			displayName: 'Limit',
			name: 'limit',
			type: 'number',
			typeOptions: { minValue: 1 },
			default: 50,
			description: 'Max number of results to return',
			displayOptions: { show: { ...show, returnAll: [false] } },
		},
	];
}

/**
 * A topic picker (the bot's topics as load options, `getTopics`): one key, or several for a send.
 * An expression may give keys the list does not show yet.
 */
export function topicField(show: Show, options: { name: string; multiple: boolean; description: string }): INodeProperties {
	return {
		displayName: options.multiple ? 'Topic Names or IDs' : 'Topic Name or ID',
		name: options.name,
		type: options.multiple ? 'multiOptions' : 'options',
		typeOptions: { loadOptionsMethod: 'getTopics' },
		required: true,
		default: options.multiple ? [] : '',
		description: `${options.description}. Choose from the list, or specify keys using an <a href="https://docs.n8n.io/code/expressions/">expression</a>.`,
		displayOptions: { show },
	};
}

/** The Trace ID option of every operation that sends or calls (read by `optionHeaders`). */
export const traceIdOption: INodeProperties = {
	displayName: 'Trace ID',
	name: 'traceId',
	type: 'string',
	default: '',
	description: 'The trace to continue. Empty continues the input item\'s trace_id (every Metabot Trigger item has one); an item without one starts a trace.',
};
