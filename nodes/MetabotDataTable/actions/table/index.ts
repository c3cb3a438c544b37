import type { INodeProperties } from 'n8n-workflow';
import { operationProperty } from '../../../shared/descriptions';
import * as create from './create.operation';
import * as remove from './delete.operation';
import * as list from './list.operation';

export const operations = { create, list, delete: remove };

export const description: INodeProperties[] = [
	operationProperty(
		'table',
		[
			{ name: 'Create', value: 'create', action: 'Create a table', description: 'Create a table with typed columns' },
			{ name: 'Delete', value: 'delete', action: 'Delete a table', description: 'Delete a table and all its rows' },
			{ name: 'List', value: 'list', action: 'List tables', description: 'List the bot\'s tables' },
		],
		'list',
	),
	...create.description,
	...remove.description,
	...list.description,
];
