import type { INodeProperties } from 'n8n-workflow';
import { operationProperty, showFor } from '../../../shared/descriptions';
import { tableField } from '../fields';
import { filterFields } from '../filter';
import { allRowsField, dataFields } from './fields';
import * as remove from './delete.operation';
import * as getMany from './getMany.operation';
import * as insert from './insert.operation';
import * as update from './update.operation';
import * as upsert from './upsert.operation';

export const operations = { insert, upsert, getMany, update, delete: remove };

export const description: INodeProperties[] = [
	operationProperty(
		'row',
		[
			{ name: 'Create or Update', value: 'upsert', action: 'Create or update a row', description: 'Create a new record, or update the current one if it already exists (upsert)' },
			{ name: 'Delete', value: 'delete', action: 'Delete rows', description: 'Delete the rows matching a filter' },
			{ name: 'Get Many', value: 'getMany', action: 'Get many rows', description: 'Rows matching a filter, sorted, limited' },
			{ name: 'Insert', value: 'insert', action: 'Insert a row', description: 'Add a row for each input item' },
			{ name: 'Update', value: 'update', action: 'Update rows', description: 'Change the rows matching a filter' },
		],
		'insert',
	),
	tableField(showFor('row', ['insert', 'upsert', 'getMany', 'update', 'delete'])),
	...upsert.description,
	...dataFields(['insert', 'upsert']),
	...update.description,
	...filterFields(showFor('row', ['getMany', 'update', 'delete']), false),
	allRowsField(['update', 'delete']),
	...getMany.description,
	...insert.description,
	...remove.description,
];
