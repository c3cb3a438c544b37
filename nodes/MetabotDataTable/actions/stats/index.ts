import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, showFor } from '../../../shared/descriptions';
import { tableField } from '../fields';
import { filterFields } from '../filter';
import { windowField } from '../window';
import * as aggregate from './aggregate.operation';
import { groupingFields, STATS_OPERATIONS } from './fields';
import * as percentile from './percentile.operation';
import * as top from './top.operation';

export const operations = { top, aggregate, percentile };

const all = showFor('stats', STATS_OPERATIONS);

export const description: INodeProperties[] = [
	operationProperty(
		'stats',
		[
			{ name: 'Aggregate', value: 'aggregate', action: 'Aggregate rows', description: 'Count, sum, average, min, max, optionally per group' },
			{ name: 'Percentile Rank', value: 'percentile', action: 'Get the percentile rank of a value', description: 'Share of rows below a value (0-100)' },
			{ name: 'Top N', value: 'top', action: 'Get the top rows', description: 'The N highest (or lowest) rows or groups by a column' },
		],
		'top',
	),
	tableField(all),
	...top.description,
	...aggregate.description,
	...percentile.description,
	...groupingFields,
	windowField(all),
	...filterFields(all, false),
];
