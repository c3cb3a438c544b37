import type { IExecuteFunctions, INodeProperties } from 'n8n-workflow';
import { type Show, showFor } from '../../../shared/descriptions';
import { readColumnList, tablePath } from '../fields';
import { readFilter } from '../filter';
import { readWindow } from '../window';
import type { ApiBody } from '../../../shared/transport';

/** The filter and time window every statistic takes (the same shape in each of them). */
type StatsScope = Pick<ApiBody<'aggregateRows'>, 'filter' | 'window'>;

export const STATS_OPERATIONS = ['top', 'aggregate', 'percentile'];

export const AGGREGATE_FUNCTIONS = [
	{ name: 'Average', value: 'avg' },
	{ name: 'Count', value: 'count' },
	{ name: 'Max', value: 'max' },
	{ name: 'Min', value: 'min' },
	{ name: 'Sum', value: 'sum' },
];

export function onlyFor(operation: string, extra: Show = {}): Show {
	return showFor('stats', [operation], extra);
}

/**
 * Group By and, under it, what a group totals. Top N and Percentile Rank each have their own
 * function parameter (`fn`, `groupFn`) because their defaults differ: Top N lists rows per group
 * unless asked to total, a percentile of groups needs a total.
 */
export const groupingFields: INodeProperties[] = [
	{
		displayName: 'Group By',
		name: 'groupBy',
		type: 'string',
		default: '',
		placeholder: 'userId',
		description: 'Columns (comma-separated) to group rows by',
		displayOptions: { show: showFor('stats', STATS_OPERATIONS) },
	},
	{
		displayName: 'Group Function',
		name: 'fn',
		type: 'options',
		options: [{ name: 'Per Row (No Grouping Total)', value: '' }, ...AGGREGATE_FUNCTIONS],
		default: '',
		description: 'With Group By: rank groups by this total of the column instead of listing rows per group',
		displayOptions: { show: onlyFor('top') },
	},
	{
		displayName: 'Group Function',
		name: 'groupFn',
		type: 'options',
		options: AGGREGATE_FUNCTIONS,
		default: 'sum',
		description: 'With Group By: what each group totals (e.g. the sum of minutes per user)',
		displayOptions: { show: onlyFor('percentile') },
	},
];

/** `groupBy` for a statistic's body when Group By names columns, else nothing. */
export function groupsOf(this: IExecuteFunctions, itemIndex: number): { groupBy?: string[] } {
	const groupBy = readColumnList.call(this, 'groupBy', itemIndex);
	return groupBy.length > 0 ? { groupBy } : {};
}

/** The rows a stat counts: the filter and the time window, each when set. */
export function statsScope(this: IExecuteFunctions, itemIndex: number): StatsScope {
	const result: StatsScope = {};
	const filter = readFilter.call(this, itemIndex);
	const window = readWindow.call(this, itemIndex);
	if (filter) result.filter = filter as StatsScope['filter'];
	if (window) result.window = window as StatsScope['window'];
	return result;
}

export function statsPath(this: IExecuteFunctions, itemIndex: number, operation: string): string {
	return `${tablePath.call(this, itemIndex)}/stats/${operation}`;
}
